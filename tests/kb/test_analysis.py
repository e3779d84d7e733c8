"""kb.analysis: the same Sudachi analysis for documents and queries, with offsets back into the original."""

from __future__ import annotations

import threading

from kb.analysis import get_analyzer, squeeze


def test_width_and_spelling_variants_meet() -> None:
    a = get_analyzer()
    assert a.index_terms("ＰＣ") == a.index_terms("PC") == ["pc"]
    assert a.index_terms("申込み") == a.index_terms("申し込み")
    assert a.index_terms("ｸﾞﾙｰﾌﾟ") == a.index_terms("グループ")
    assert a.index_terms("様式第３号") == ["様式", "第", "3", "号"]


def test_english_is_lowercased_not_transliterated() -> None:
    terms = get_analyzer().index_terms("Expense Report, Hello World 2024")
    assert terms == ["expense", "report", "hello", "world", "2024"]


def test_punctuation_and_spaces_dropped_numbers_kept() -> None:
    terms = get_analyzer().index_terms("第24条（慶弔休暇）　5日、3.5%。")
    assert "（" not in terms and "、" not in terms and " " not in terms
    assert "24" in terms and "5" in terms and "慶弔" in terms


def test_spaces_and_line_breaks_inside_japanese_words_are_ignored() -> None:
    # The PDF text layer breaks words like this; the index must still see the words.
    a = get_analyzer()
    assert a.index_terms("年次有給休 暇") == a.index_terms("年次有給休暇")
    assert a.index_terms("継続24 時間") == a.index_terms("継続24時間")
    assert a.index_terms("年次有給\n休暇") == a.index_terms("年次有給休暇")
    assert squeeze("PC 0231") == "PC 0231"  # between Latin words the space stays


def test_spans_point_into_the_original_text() -> None:
    text = "年次有給休\n暇のＰＣの申込み　Hello"
    spans = get_analyzer().spans(text)
    got = {s.term: text[s.start : s.end] for s in spans}
    assert got["休暇"] == "休\n暇"
    assert got["pc"] == "ＰＣ"
    assert got["申し込み"] == "申込み"
    assert got["hello"] == "Hello"


def test_a_300000_character_line_without_spaces() -> None:
    text = "就業規則の適用" * 43_000  # 301,000 characters, no space, no line break
    terms = get_analyzer().index_terms(text)
    assert terms.count("就業") == 43_000


def test_question_words_are_not_content() -> None:
    units = get_analyzer().query_units("慶弔休暇は何日ですか？")
    assert [u.surface for u in units if u.content] == ["慶弔休暇"]
    units = get_analyzer().query_units("有給の申請方法を教えてください")
    assert [u.surface for u in units if u.content] == ["有給", "申請方法"]
    compound = next(u for u in units if u.surface == "申請方法")
    assert compound.terms == ("申請", "方法")


def test_one_analyzer_per_thread() -> None:
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(get_analyzer()))
    worker.start()
    worker.join()
    assert seen[0] is not get_analyzer()
    assert get_analyzer() is get_analyzer()


def test_gaps_make_the_same_decisions_as_drop_gap() -> None:
    # _gaps inlines _drop_gap with cached character classes for speed; the rule itself stays _drop_gap.
    import random

    from kb.analysis import _SQUEEZE, _drop_gap, _gaps

    alphabet = list("あいう日本語漢字々カタナアイー。、「」（）・ｶﾅ\n\r\t \u3000ab1２,.")
    rnd = random.Random(12)
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
        spec = [(m.start(), m.end()) for m in _SQUEEZE.finditer(text) if _drop_gap(text, m.start(), m.end())]
        assert _gaps(text) == spec, repr(text)
