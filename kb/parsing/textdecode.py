"""Decode the bytes of a text file (TXT, MD, CSV, HTML) without producing mojibake.

Japanese offices still save files in cp932 (Shift_JIS), EUC-JP or ISO-2022-JP next to UTF-8 and UTF-16. General
detectors guess wrong on short Japanese text (a two-word memo has too little signal), so the order is:
byte-order marks, then strict UTF-8, then ISO-2022-JP when escape sequences show it, then every Japanese
legacy codec decoded *strictly* and scored for plausible Japanese; charset-normalizer only helps when no Japanese
codec fits. When nothing decodes cleanly the file is refused with a reason instead of shown garbled.
"""

from __future__ import annotations

import codecs
import re

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
_SCORE_SAMPLE = 4096
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


# (character class, weight per character) for japanese_score; everything else scores 0.
_SCORED_CLASSES: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(f"[{chars}]"), weight)
    for chars, weight in (
        ("\u0020-\u007e\t\r\n", 0.5),  # printable ASCII
        ("\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f", -5.0),  # C0 controls
        ("\u3040-\u309f", 3.0),  # hiragana
        ("\u30a0-\u30ff\u3000-\u303f", 2.0),  # katakana, Japanese punctuation
        ("\u4e00-\u9fff\uff01-\uff5e", 1.0),  # kanji, full-width ASCII forms
        ("\uff61-\uff9f", -1.5),  # half-width katakana: rare in real text, typical of a wrong codec
        ("\ue000-\uf8ff\u0080-\u009f\uf900-\ufaff", -5.0),  # private use, C1 controls, compatibility kanji
        ("\u2460-\u24ff\u2150-\u218f\u2500-\u257f", 0.5),  # ①, Ⅰ, box drawing
        ("\u3400-\u4dbf\U00020000-\U0010ffff", -1.0),  # rare kanji
    )
)


def japanese_score(text: str) -> float:
    """How much a decoded string looks like Japanese (or plain ASCII) text, per character; higher is better.

    Wrong legacy codecs betray themselves: EUC-JP read as cp932 gives half-width katakana runs, cp932 read as
    EUC-JP gives rare kanji and private-use characters.
    """
    if not text:
        return 0.0
    sample = text[:_SCORE_SAMPLE]
    score = sum(weight * len(pattern.findall(sample)) for pattern, weight in _SCORED_CLASSES)
    return score / len(sample)


def _bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM (some export tools): NULs only in the high bytes of mostly-ASCII text."""
    if len(data) % 2:
        return None
    sample = data[: _SAMPLE & ~1]
    for name, zeros, other in (
        ("utf-16-le", sample[1::2], sample[0::2]),
        ("utf-16-be", sample[0::2], sample[1::2]),
    ):
        if b"\x00" not in other and zeros.count(0) >= len(zeros) // 2:
            text = _strict(data, name)
            if text is not None and not looks_binary(text.encode("utf-8", "surrogatepass")):
                return text, name
    return None


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
        utf16 = _bomless_utf16(data)
        if utf16 is None:
            raise ParseError(*BINARY_ERROR)
        return utf16

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
        score = japanese_score(text)
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
        if guessed is not None and (best is None or japanese_score(guessed) >= best[0]):
            return guessed, encoding
    if best is not None and best[0] > 0.0:
        return best[2], best[1]
    raise ParseError(
        "文字コードを判別できません（UTF-8、Shift_JIS、EUC-JP などとして正しく読めません）",
        "Cannot determine the text encoding (it is not valid UTF-8, Shift_JIS, EUC-JP, …)",
    )
