"""The grounded-answer pipeline over a real index: groundedness, extractive answers, citation checks."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.answering import (
    NOT_FOUND_EN,
    NOT_FOUND_JA,
    Answer,
    AnswerDone,
    Answerer,
    AnswerToken,
    Evidence,
    PassagesFound,
    Source,
    check_citations,
    draft_outcome,
    extractive_answer,
    is_asked,
    is_refusal,
    judge_evidence,
    list_after,
    misses_the_amount,
    quantity_conflict,
)
from desktop.settings import Settings
from kb import KnowledgeBase
from local_models import ModelRuntime, RuntimeConfig


def _index(folder: Path, index_dir: Path) -> KnowledgeBase:
    kbase = KnowledgeBase(index_dir)
    for _ in kbase.index([folder]):
        pass
    return kbase


@pytest.fixture
def demo_index(demo_kb: Path, tmp_path: Path) -> Iterator[KnowledgeBase]:
    kbase = _index(demo_kb, tmp_path / "index")
    yield kbase
    kbase.close()


def _run(answerer: Answerer, question: str, cancel: threading.Event | None = None) -> tuple[list[Any], Answer]:
    events = list(answerer.ask(question, 8, cancel))
    assert isinstance(events[0], PassagesFound) and isinstance(events[-1], AnswerDone)
    assert all(isinstance(e, AnswerToken) for e in events[1:-1])
    return events, events[-1].answer


def _numbers_supported(answer: Answer) -> None:
    """Every number in a sentence appears in a passage that sentence cites."""
    by_n = {s.n: s for s in answer.sources}
    for sentence in re.split(r"(?<=。)|\n", answer.answer):
        cites = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        if not sentence.strip():
            continue
        assert cites, sentence
        for num in re.findall(r"\d[\d,]*", re.sub(r"\[\d+\]", "", sentence)):
            assert any(num.replace(",", "") in by_n[c].text.replace(",", "") for c in cites), (num, sentence)


def test_grounded_question_without_a_model_is_extractive(demo_index: KnowledgeBase) -> None:
    answerer = Answerer(demo_index, None, Settings())
    events, answer = _run(answerer, "父が亡くなりました。慶弔休暇は何日取れますか？")
    assert answer.grounded and answer.extractive and answer.model is None
    assert "5日" in answer.answer
    assert answer.cited and {s.title for s in answer.cited_sources} >= {"慶弔見舞金規程"}
    assert all(s.location for s in answer.cited_sources)
    _numbers_supported(answer)
    assert events[0].sources == answer.sources


@pytest.mark.parametrize("question", ["今日の天気は？", "社員食堂のメニューは？", "明日の東京の天気を教えて"])
def test_out_of_scope_questions_are_not_grounded(demo_index: KnowledgeBase, question: str) -> None:
    events, answer = _run(Answerer(demo_index, None, Settings()), question)
    assert not answer.grounded and answer.sources == [] and answer.cited == []
    assert answer.answer == NOT_FOUND_JA and answer.model is None
    assert answer.to_dict() == {"question": question, "answer": NOT_FOUND_JA, "grounded": False, "sources": [],
                                "model": None, "similarity": None, "draft_discarded": None, "doubtful": False}


def test_english_ui_gets_the_english_not_found_sentence(demo_index: KnowledgeBase) -> None:
    settings = Settings()
    settings.ui.language = "en"
    _, answer = _run(Answerer(demo_index, None, settings), "今日の天気は？")
    assert answer.answer == NOT_FOUND_EN


def test_empty_index_is_not_grounded(tmp_path: Path) -> None:
    kbase = KnowledgeBase(tmp_path / "empty")
    try:
        _, answer = _run(Answerer(kbase, None, Settings()), "出張の日当はいくら？")
    finally:
        kbase.close()
    assert not answer.grounded and answer.sources == []


@pytest.mark.model
def test_out_of_scope_stays_not_grounded_with_a_model(demo_index: KnowledgeBase, tiny_model: Path) -> None:
    rt = ModelRuntime(RuntimeConfig(n_ctx=1024, n_threads=1, max_tokens=32))
    rt.load(tiny_model)
    try:
        _, answer = _run(Answerer(demo_index, rt, Settings()), "社員食堂のメニューは？")
    finally:
        rt.close()
    assert not answer.grounded and answer.sources == [] and answer.answer == NOT_FOUND_JA


@pytest.mark.model
def test_model_answer_is_checked_against_the_passages(tmp_path: Path, tiny_model: Path) -> None:
    docs = tmp_path / "rules"
    docs.mkdir()
    (docs / "leave.md").write_text(
        "# Leave rules\n\n## Article 3 Wedding leave\n\nAn employee who marries gets 5 days of wedding leave.\n",
        encoding="utf-8")
    (docs / "travel.md").write_text(
        "# Travel rules\n\n## Article 8 Hotels\n\nThe hotel limit is 12000 yen a night.\n", encoding="utf-8")
    kbase = _index(docs, tmp_path / "index")
    settings = Settings()
    settings.model.max_tokens = 40
    rt = ModelRuntime(RuntimeConfig(n_ctx=2048, n_threads=1, temperature=0.0, max_tokens=40))
    rt.load(tiny_model)
    try:
        events, answer = _run(Answerer(kbase, rt, settings), "How many days of wedding leave does an employee get?")
    finally:
        rt.close()
        kbase.close()
    assert answer.grounded and answer.answer.strip()
    assert any(isinstance(e, AnswerToken) for e in events)
    # Whatever the tiny model wrote, what is left cites real passages and every number is supported.
    assert answer.cited and set(answer.cited) <= {s.n for s in answer.sources}
    _numbers_supported(answer)
    if answer.model is None:
        assert answer.extractive  # nothing the model wrote survived the check


def test_cancel_before_generation_gives_the_extractive_answer(demo_index: KnowledgeBase) -> None:
    cancel = threading.Event()
    cancel.set()
    _, answer = _run(Answerer(demo_index, None, Settings()), "結婚祝金はいくらですか？", cancel)
    assert answer.grounded and answer.extractive and "30,000円" in answer.answer


SOURCES = [
    Source(1, "/r/a.md", "慶弔見舞金規程", "第3条", "本人が結婚するとき 五日。子が結婚するとき 2日。"),
    Source(2, "/r/b.md", "慶弔見舞金規程", "第5条", "結婚祝金として30,000円を支給する。"),
]


def test_citation_check_moves_a_wrong_citation() -> None:
    text, cited = check_citations("結婚祝金は30,000円です[1]。", SOURCES)
    assert text == "結婚祝金は30,000円です[2]。" and cited == [2]


def test_citation_check_accepts_kanji_numerals_and_drops_unsupported_numbers() -> None:
    text, cited = check_citations("本人の結婚では5日休めます[1]。手当は7,000円です[2]。", SOURCES)
    assert text == "本人の結婚では5日休めます[1]。" and cited == [1]


def test_citation_check_gives_up_when_nothing_is_supported() -> None:
    assert check_citations("休暇は10日です[1]。", SOURCES) == ("", [])
    assert check_citations("資料に該当する記載が見つかりませんでした。", SOURCES) == ("", [])


def test_citation_after_the_full_stop_stays_with_its_sentence() -> None:
    text, _ = check_citations("祝金は30,000円です。[2]子の結婚は2日です。[1]", SOURCES)
    assert text == "祝金は30,000円です[2]。子の結婚は2日です[1]。"


def test_extractive_answer_prefers_sentences_with_the_question_words() -> None:
    text, cited = extractive_answer("結婚祝金はいくら？", SOURCES)
    assert "30,000円" in text and 2 in cited


def test_a_sentence_that_announces_a_list_brings_its_items() -> None:
    sentences = ["第12条 日当", "3. 日帰り出張の出張日数は、次のとおりとする。", "1. 所要時間が4時間未満・・・0日",
                 "2. 所要時間が4時間以上8時間未満・・・0.5日", "3. 所要時間が8時間以上・・・1日",
                 "4. 宿泊を伴う出張の出張日数は、次のとおりとする。", "1. 出発日に午後出発・・・0.5日"]
    assert list_after(sentences, 1) == [2, 3, 4]  # ends at the next clause that announces its own list
    assert list_after(sentences, 2) == []  # an item announces nothing
    sibling = ["2. 次の書類を提出しなければならない。", "* 住民票記載事項証明書", "* 雇用保険被保険者証",
               "3. 提出した書類に変更があれば届け出る。"]
    assert list_after(sibling, 0) == [1, 2]
    long = ["次の書類を提出する。"] + [f"* 書類{i}" + "あ" * 40 for i in range(10)]
    assert 1 <= len(list_after(long, 0)) < 10  # a long list is cut


def test_the_extract_of_a_lead_in_carries_its_list() -> None:
    src = [Source(1, "/r/t.md", "出張旅費規程", "第12条（日当）",
                  "3. 日帰り出張の出張日数は、次のとおりとする。\n1. 所要時間が4時間未満・・・0日\n"
                  "2. 所要時間が4時間以上8時間未満・・・0.5日")]
    ranked = [(3.0, 1, 0, "3. 日帰り出張の出張日数は、次のとおりとする。")]
    text, cited = extractive_answer("3時間だけの日帰り出張でも日当って出る？", src, ranked=ranked)
    assert "4時間未満・・・0日" in text and "0.5日" in text and cited == [1]


def test_an_faq_answer_cell_is_given_whole() -> None:
    sentences = ["質問: 夜や休日に空調を使いたいです。", "回答: 時間外空調は、前営業日の15時までに総務部へ申請してください。",
                 "費用は1時間4,000円で、部門負担です。", "根拠規程: オフィス利用ガイド「空調」", "更新日: 2026-05-20"]
    assert list_after(sentences, 1) == [2]  # the rest of the cell, up to the next cell
    assert list_after(sentences[:2] + ["…"] + sentences[2:], 1) == []  # a gap ends it
    faq = [Source(1, "/r/faq.xlsx", "社内よくある質問", "シート「FAQ」 行27", "\n".join(sentences))]
    text, _ = extractive_answer("夜残ってると暑いんだけど、エアコンつけてもらえる？", faq,
                                ranked=[(3.0, 1, 1, sentences[1])])
    assert "15時" in text and "4,000円" in text and "根拠規程" not in text
    # the cell's second sentence chosen alone stands for the whole cell
    text, _ = extractive_answer("夜の空調の費用は？", faq, ranked=[(3.0, 1, 2, sentences[2])])
    assert text.startswith("回答: 時間外空調は") and text.count("4,000円") == 1


def test_an_faq_question_cell_is_not_an_answer() -> None:
    assert is_asked("質問: 夜や休日に空調を使いたいです。") and is_asked("Q：社員証を忘れました。")
    assert is_asked("有給は何日？") and not is_asked("回答: 前営業日の15時までに申請してください。")
    faq = [Source(1, "/r/faq.xlsx", "社内よくある質問", "シート「FAQ」 行27",
                  "質問: 夜や休日に空調を使いたいです。\n回答: 時間外空調は、前営業日の15時までに総務部へ申請してください。")]
    text, _ = extractive_answer("夜に空調を使いたい", faq)
    assert "15時" in text and "質問" not in text


ROWS = [Source(1, "/r/w.md", "就業規則", "第40条",
               "次のとおり慶弔休暇を与える。\n1. 本人が結婚したとき・・・5日\n2. 妻が出産したとき・・・3日\n"
               "3. 兄弟姉妹、祖父母が死亡したとき・・・3日")]


def test_citation_check_catches_a_number_from_the_wrong_row() -> None:
    question = "祖父母が亡くなったときの慶弔休暇は何日？"
    assert check_citations("祖父母が亡くなったときは5日です[1]。", ROWS, question) == ("", [])
    assert check_citations("祖父母が亡くなったときは3日です[1]。", ROWS, question)[1] == [1]


def test_row_check_reads_table_rows_under_their_case() -> None:
    table = [Source(2, "/r/w.md", "就業規則", "第40条",
                    "4. 父母、配偶者又は子が死亡したとき\n休暇日数：最大5日\n"
                    "5. 兄弟姉妹、祖父母が死亡したとき\n休暇日数：最大2日")]
    question = "祖父母が亡くなったときの慶弔休暇は何日？"
    assert check_citations("祖父母のときは5日です[2]。", table, question) == ("", [])
    assert check_citations("祖父母のときは2日です[2]。", table, question) == ("祖父母のときは2日です[2]。", [2])


def test_citation_check_drops_the_question_said_back() -> None:
    text, _ = check_citations("父が亡くなりました[1]。休暇は5日です[1]。", SOURCES, "父が亡くなりました。休暇は何日？")
    assert text == "休暇は5日です[1]。"


@pytest.mark.parametrize(("text", "refused"), [
    ("資料に該当する記載が見つかりませんでした。", True),
    ("規程・資料に該当する記載が見つかりませんでした。", True),
    ("資料には該当する情報がありません。", True),
    ("資料に記載はありませんが、通常は3日です。", True),  # says the passages lack it, then invents: a refusal
    ("資料によると、慶弔休暇は5日です[1]。", False),
    ("慶弔休暇は5日です[1]。", False),
    ("", False),
])
def test_refusal_is_the_models_not_in_the_passages_sentence(text: str, refused: bool) -> None:
    assert is_refusal(text) is refused


def test_the_band_lets_the_model_decide_and_outside_it_the_passages_do() -> None:
    # kept whenever the draft survives the check
    assert draft_outcome(band=True, grounded=False, refused=False, supported=True) == "draft"
    assert draft_outcome(band=False, grounded=True, refused=False, supported=True) == "draft"
    # in the band the model's refusal is the answer, even above the extractive threshold
    assert draft_outcome(band=True, grounded=True, refused=True, supported=False) == "not_found"
    assert draft_outcome(band=True, grounded=False, refused=False, supported=False) == "not_found"
    # an unsupported draft in the band still answers from the extracts when the threshold grounds it
    assert draft_outcome(band=True, grounded=True, refused=False, supported=False) == "extract"
    # above the band a refusal only costs the draft
    assert draft_outcome(band=False, grounded=True, refused=True, supported=False) == "extract"


def test_gate_verdict_has_a_band_between_its_thresholds() -> None:
    from desktop import answering

    class Hit:
        def __init__(self, similarity: float) -> None:
            self.path, self.title, self.location, self.text = "/r/a.md", "就業規則", "第1条", "始業は9時とする。"
            self.score, self.chunk_id, self.page, self.article = 1.0, 1, None, "第1条"
            self.similarity = similarity

    def verdict(sim: float) -> Evidence:
        return judge_evidence("社食のメニューは？", [Hit(sim)])

    assert verdict(answering.GATE_HIGH + 0.01).verdict == "yes"
    assert verdict(answering.GATE_LOW - 0.01).verdict == "no"
    mid = verdict((answering.GATE_LOW + answering.GATE_HIGH) / 2)
    assert mid.verdict == "maybe" and mid.score is not None
    assert mid.grounded is (mid.score >= answering.GATE_SCORE)  # without a model the threshold decides


def test_the_gate_counts_the_two_retrievers_agreeing() -> None:
    from desktop import answering

    class Hit:
        def __init__(self, chunk_id: int, similarity: float, lexical_rank: int | None) -> None:
            self.path, self.title, self.location, self.text = "/r/a.md", "就業規則", "第1条", "始業は9時とする。"
            self.score, self.chunk_id, self.page, self.article = 1.0, chunk_id, None, "第1条"
            self.similarity, self.lexical_rank = similarity, lexical_rank

    below = answering.GATE_SCORE - answering.AGREE_BONUS / 2  # under the threshold on meaning alone
    # the passage nearest in meaning is also among the words' first hits: grounded
    agreed = judge_evidence("社食のメニューは？", [Hit(1, below - 0.05, 1), Hit(2, below, answering.AGREE_RANK)])
    assert agreed.agreed and agreed.grounded and agreed.score == pytest.approx(below + answering.AGREE_BONUS)
    # the words found only another passage, or found the nearest one too far down: meaning alone decides
    for hits in ([Hit(1, below - 0.05, 1), Hit(2, below, None)],
                 [Hit(2, below, answering.AGREE_RANK + 1)]):
        alone = judge_evidence("社食のメニューは？", hits)
        assert not alone.agreed and not alone.grounded


def test_a_draft_that_leaves_out_the_best_sentences_amount_misses_it() -> None:
    best = "2 慶弔見舞金の請求は、事由が発生した日から6か月以内に行わなければならない[1]。"
    q = "お祝い金の申請って、あとからでも間に合う？"
    assert misses_the_amount(q, "お祝い金の申請は、様式第21号「慶弔届」を総務部に提出して行う[3]。", best)
    assert not misses_the_amount(q, "発生した日から6ヶ月以内なら申請できます[1]。", best)  # ヶ and か are one
    assert not misses_the_amount("結婚祝金は？", "3万円です[1]。", "結婚祝金として30,000円を支給する[1]。")
    assert not misses_the_amount(q, "申請できます[1]。", "慶弔届を総務部に提出する[1]。")  # no amount to miss
    # the amount the question brought is not one the draft must repeat; 2時間 is not 2週
    assert not misses_the_amount("3時間の出張でも日当は出る？", "日当は出ません[1]。", "3時間の出張は日当なし[1]。")
    lead_in = "次の範囲で時間内通院を認める（出産後1年まで）[1]。\n* 妊娠23週まで・・・4週に1回\n* 妊娠24週から・・・2週に1回"
    assert misses_the_amount("妊婦健診で抜けていい？", "2時間の時差出勤を認める[3]。", lead_in)


def test_a_draft_with_another_amount_than_the_best_sentence_conflicts() -> None:
    q = "親が亡くなったら何日休める？"
    assert quantity_conflict(q, "親が亡くなる場合は2日休める[2]。", "父母の死亡：5日[1]。")
    assert not quantity_conflict(q, "5日休めます[1]。", "父母の死亡：5日[1]。\n配偶者の父母の死亡：3日[1]。")
    assert not quantity_conflict("結婚祝金はいくら？", "3万円です[1]。", "結婚祝金として30,000円を支給する[1]。")
    assert not quantity_conflict("申請先は？", "総務部です[1]。", "総務部に申請する[1]。")  # no amount asked
    # 「何日前まで」 asks for a deadline, not a number of days: 30日前 is not in conflict with the 5日 of leave
    deadline = "結婚式の休み、何日前までに言えばいい？"
    assert not quantity_conflict(deadline, "30日前までに届け出ます[2]。", "本人が結婚したとき・・・5日[1]。")
    assert quantity_conflict(deadline, "7日前までです[2]。", "届出条件：30日前までに届け出なければならない[1]。")


PARKING = [Source(1, "/r/p.md", "駐車場規程", "第3条", "来客用駐車場は本社1Fにある。社員の私用車は駐車できない。"),
           Source(2, "/r/e.md", "入館規程", "第2条", "受付で一時入館証を受け取り、退館時に返却する。")]


def test_a_claim_without_numbers_must_say_what_its_passage_says() -> None:
    q = "会社の駐車場に自分の車を停めてもいい？"
    # the question said back with a "yes": nothing a passage said
    assert check_citations("会社の駐車場に自分の車を停めてもいいです[1]。", PARKING, q) == ("", [])
    assert check_citations("はい、使えます[1]。", PARKING, q) == ("", [])
    assert check_citations("社員の私用車は駐車できません[1]。", PARKING, q) == ("社員の私用車は駐車できません[1]。", [1])
    # its own words are in another passage than the one cited: the citation moves there
    assert check_citations("受付で入館証を受け取ってください[1]。", PARKING, "会社に入るには？")[1] == [2]


def test_an_answer_is_doubtful_when_the_model_was_likely_to_say_the_passages_do_not_answer() -> None:
    from desktop import answering

    def answer(grounded: bool, lead: float | None) -> Answer:
        return Answer("q", "a", grounded, [], "m.gguf", refusal_lead=lead)

    assert answer(True, answering.DOUBT_LEAD).doubtful
    assert answer(True, answering.DOUBT_LEAD + 1.0).doubtful
    assert not answer(True, answering.DOUBT_LEAD - 0.5).doubtful
    assert not answer(True, None).doubtful  # no model, or a model server: no judgment
    assert not answer(False, 0.0).doubtful  # "not found" is not an answer to doubt
    assert answer(True, -1.0).to_dict()["doubtful"] is True
