"""Decode the bytes of a text file (TXT, MD, CSV, HTML) without producing mojibake.

Japanese offices still save files in cp932 (Shift_JIS), EUC-JP or ISO-2022-JP next to UTF-8 and UTF-16. General
detectors guess wrong on short Japanese text (a two-word memo has too little signal), so the order is:
byte-order marks, then strict UTF-8, then ISO-2022-JP when escape sequences show it, then every Japanese
legacy codec decoded *strictly* and scored for plausible Japanese; charset-normalizer only helps when no Japanese
codec fits. When nothing decodes cleanly the file is refused with a reason instead of shown garbled.
"""

from __future__ import annotations

import codecs

import charset_normalizer

from kb.parsing.types import ParseError

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ISO2022_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(B", b"\x1b(J", b"\x1b(I", b"\x1b$(D")
_JAPANESE_LEGACY = ("cp932", "euc_jp", "euc_jis_2004")
# Control bytes that never occur in text (tab, LF, VT, FF, CR and ESC do).
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
_SAMPLE = 64 * 1024
_WESTERN = ("cp125", "cp775", "cp85", "cp86", "iso8859", "latin", "mac_")

BINARY_ERROR = ("バイナリファイルのようです（テキストとして読めません）", "The file looks binary, not text")


def _bom_encoding(data: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None


def looks_binary(data: bytes) -> bool:
    """True when the bytes (no BOM) hold NULs or many control bytes: an executable, image or zip renamed .txt."""
    sample = data[:_SAMPLE]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return controls > max(2, len(sample) // 100)


def japanese_score(text: str) -> float:
    """How much a decoded string looks like Japanese (or plain ASCII) text, per character; higher is better.

    Wrong legacy codecs betray themselves: EUC-JP read as cp932 gives half-width katakana runs, cp932 read as
    EUC-JP gives rare kanji and private-use characters.
    """
    if not text:
        return 0.0
    score = 0.0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            score += 0.5 if (ch.isprintable() or ch in "\t\r\n") else -5.0
        elif 0x3040 <= o <= 0x309F:  # hiragana
            score += 3.0
        elif 0x30A0 <= o <= 0x30FF or 0x3000 <= o <= 0x303F:  # katakana, Japanese punctuation
            score += 2.0
        elif 0x4E00 <= o <= 0x9FFF or 0xFF01 <= o <= 0xFF5E:  # kanji, full-width ASCII forms
            score += 1.0
        elif 0xFF61 <= o <= 0xFF9F:  # half-width katakana: rare in real text, typical of a wrong codec
            score -= 1.5
        elif 0xE000 <= o <= 0xF8FF or 0x80 <= o <= 0x9F or 0xF900 <= o <= 0xFAFF:
            score -= 5.0  # private use, C1 controls, compatibility kanji
        elif 0x2460 <= o <= 0x24FF or 0x2150 <= o <= 0x218F or 0x2500 <= o <= 0x257F:
            score += 0.5  # ①, Ⅰ, box drawing
        elif 0x3400 <= o <= 0x4DBF or o >= 0x20000:  # rare kanji
            score -= 1.0
    return score / len(text)


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) for the bytes of a text file; raise ParseError when it is not text."""
    if not data:
        raise ParseError("ファイルが空です", "The file is empty")
    bom = _bom_encoding(data)
    if bom is not None:
        name, size = bom
        text = _strict(data[size:], name.removesuffix("-sig"))
        if text is None:
            raise ParseError(
                f"文字コード（{name}）として読めない部分があります（ファイルが壊れている可能性があります）",
                f"The file has a {name} byte-order mark but does not decode as {name} (it may be damaged)",
            )
        return text, name
    if looks_binary(data):
        raise ParseError(*BINARY_ERROR)

    # ISO-2022-JP is 7-bit, so it is also valid UTF-8: its escape sequences must be checked first.
    if data.isascii() and any(esc in data for esc in _ISO2022_ESCAPES):
        for name in ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext"):
            text = _strict(data, name)
            if text is not None:
                return text, name

    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"

    best: tuple[float, str, str] | None = None
    for name in _JAPANESE_LEGACY:
        text = _strict(data, name)
        if text is None:
            continue
        score = japanese_score(text[:_SAMPLE])
        if best is None or score > best[0]:
            best = (score, name, text)
    if best is not None and best[0] > 0.6:
        return best[2], best[1]

    # No Japanese codec fits well: ask charset-normalizer (e.g. a Western cp1252 file), but still refuse garbage.
    match = charset_normalizer.from_bytes(data[: 4 * _SAMPLE]).best()
    if match is not None and match.encoding:
        encoding = match.encoding
        if encoding.startswith(_WESTERN) and _strict(data, "cp1252") is not None:
            # Single-byte Latin codecs differ in a handful of letters and detectors pick among them almost at
            # random on short text; Windows-1252 is by far the most common Western codec in an office.
            encoding = "cp1252"
        guessed = _strict(data, encoding)
        if guessed is not None and (best is None or japanese_score(guessed[:_SAMPLE]) >= best[0]):
            return guessed, encoding
    if best is not None and best[0] > 0.0:
        return best[2], best[1]
    raise ParseError(
        "文字コードを判別できません（UTF-8、Shift_JIS、EUC-JP などとして正しく読めません）",
        "Cannot determine the text encoding (it is not valid UTF-8, Shift_JIS, EUC-JP, …)",
    )
