"""Text decoding: every common Japanese encoding round-trips exactly, also for very short text."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from kb.parsing import ParseError
from kb.parsing.textdecode import decode_bytes, japanese_score, looks_binary

SHORT = ["経費", "あ", "元日", "テスト", "第1条", "髙橋さん", "①の件", "申込み"]
MEDIUM = ["年次有給休暇の申請は、取得日の三日前までに所属長へ届け出ること。", "PC貸与規程 第３条（目的）"]
LONG = [("第1条（目的）この規程は、社員の慶弔休暇について定める。\n" * 200) + "以上"]
ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le-bom",
    "utf-16-be-bom",
    "cp932",
    "euc_jp",
    "iso2022_jp",
]


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-le-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)


def _encodable(text: str, encoding: str) -> bool:
    try:
        encode(text, encoding)
    except UnicodeEncodeError:
        return False  # e.g. 髙 and ① exist in cp932 only
    return True


CASES = [
    pytest.param(text, enc, id=f"{enc}-{len(text)}-{text[:4]}")
    for text in SHORT + MEDIUM + LONG
    for enc in ENCODINGS
    if _encodable(text, enc)
]


@pytest.mark.parametrize(("text", "encoding"), CASES)
def test_round_trip(text: str, encoding: str) -> None:
    decoded, _name = decode_bytes(encode(text, encoding))
    assert decoded == text


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("cp932", "cp932"), ("euc_jp", "euc_jp"), ("iso2022_jp", "iso2022_jp"), ("utf-8-sig", "utf-8-sig")],
)
def test_reports_the_encoding(encoding: str, expected: str) -> None:
    assert decode_bytes("就業規則の改定について".encode(encoding))[1] == expected


def test_real_cp932_csv_without_bom(realdocs: Path) -> None:
    data = (realdocs / "holidaysjp__syukujitsu.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text, encoding = decode_bytes(data)
    assert encoding == "cp932"
    assert "元日" in text and "国民の祝日" in text


def test_binary_is_refused_with_both_reasons() -> None:
    with pytest.raises(ParseError) as info:
        decode_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4)
    assert "バイナリ" in info.value.reason_ja
    assert "binary" in info.value.reason_en


def test_empty_is_refused() -> None:
    with pytest.raises(ParseError):
        decode_bytes(b"")


def test_western_text_is_not_turned_into_japanese_mojibake() -> None:
    text = "Café crème brûlée – naïve résumé, façade déjà vu. " * 3
    try:
        decoded, _ = decode_bytes(text.encode("cp1252"))
    except ParseError:
        return  # refusing is acceptable; garbling is not
    assert decoded == text


def test_broken_utf16_bom_file_is_refused() -> None:
    with pytest.raises(ParseError):
        decode_bytes(codecs.BOM_UTF16_LE + "総務".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate


def test_wrong_codec_scores_lower() -> None:
    euc = "年次有給休暇の申請".encode("euc_jp")
    assert japanese_score(euc.decode("euc_jp")) > japanese_score(euc.decode("cp932", errors="replace"))


def test_looks_binary() -> None:
    assert looks_binary(b"abc\x00def")
    assert not looks_binary("普通のテキスト\r\n\t".encode())
    assert not looks_binary(b"\x1b$B%F%9%H\x1b(B")  # ISO-2022-JP escapes are text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16_of_mostly_ascii_text(encoding: str) -> None:
    text = "Expense report 経費精算 2024\r\nTotal: 12,000 yen\r\n"
    assert decode_bytes(text.encode(encoding)) == (text, encoding)
