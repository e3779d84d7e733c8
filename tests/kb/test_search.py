"""kb.search over the real documents and over small files made here: questions, phrases, codes, synonyms."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kb import Hit, KnowledgeBase
from kb.search import answer_pattern, build_plan, kanji_number, make_snippet, normalize_article
from tests.conftest import REALDOCS


@pytest.fixture(scope="module")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The real documents, indexed once for this module (read-only tests)."""
    if not REALDOCS.is_dir():
        pytest.skip("../shared/realdocs is not present")
    root = tmp_path_factory.mktemp("realkb")
    shutil.copytree(REALDOCS, root / "realdocs")
    kbase = KnowledgeBase(root / "index")
    last = list(kbase.index([root / "realdocs"]))[-1]
    assert last.failed == 0 and last.added >= 28
    yield kbase
    kbase.close()


@pytest.fixture
def small_kb(tmp_path: Path) -> Iterator[tuple[KnowledgeBase, Path]]:
    kbase = KnowledgeBase(tmp_path / "index")
    yield kbase, tmp_path / "docs"
    kbase.close()


def _index(kbase: KnowledgeBase, root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    assert list(kbase.index([root]))[-1].failed == 0


def _marked(hit: Hit) -> list[str]:
    return [hit.snippet[a:b] for a, b in hit.highlights]


def test_natural_question_finds_the_article(real_kb: KnowledgeBase) -> None:
    hits = real_kb.search("慶弔休暇は何日？", k=5)
    assert "慶弔休暇" in hits[0].location
    assert any(h.article == "第40条" and "就業規則" in h.title for h in hits[:3])
    assert "慶弔休暇" in _marked(hits[0])


def test_pdf_hits_carry_page_and_article(real_kb: KnowledgeBase) -> None:
    hits = real_kb.search("年次有給休暇", k=10)
    pdf = [h for h in hits if h.doc_type == "pdf"]
    assert pdf, "the MHLW model rules PDF talks about 年次有給休暇 on many pages"
    assert all(h.page is not None and f"p.{h.page}" in h.location for h in pdf)
    assert any("年次有給休暇" in m for h in pdf for m in _marked(h))


def test_article_number_query(real_kb: KnowledgeBase) -> None:
    hits = real_kb.search("第24条", k=5)
    assert hits and all(h.article == "第24条" for h in hits[:3])
    hits = real_kb.search("第二十四条", k=3)
    assert hits[0].article == "第24条"


def test_synonyms_find_the_official_words(real_kb: KnowledgeBase) -> None:
    hits = real_kb.search("パソコンの貸与", k=3)
    assert "PC" in hits[0].text and "パソコン" not in hits[0].text
    assert "PC" in _marked(hits[0])
    hits = real_kb.search("有休", k=5)
    assert any("年次有給休暇" in h.text for h in hits)
    hits = real_kb.search("残業の割増賃金", k=5)
    assert any("時間外労働" in h.text for h in hits)


def test_hit_fields(real_kb: KnowledgeBase) -> None:
    hits = real_kb.search("出張の日当はいくら", k=8)
    assert len(hits) == 8
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "日当" in hits[0].location or "日当" in hits[0].text
    for h in hits:
        assert Path(h.path).is_absolute() and Path(h.path).is_file()
        assert date.fromisoformat(h.modified)
        assert h.text and h.title and h.location and h.chunk_id > 0
        assert len(h.snippet) <= 170
        for a, b in h.highlights:
            assert 0 <= a < b <= len(h.snippet)
        plain = h.snippet.strip("…")
        assert plain.replace(" ", "") in re.sub(r"\s", "", h.text)


def test_nothing_to_search(real_kb: KnowledgeBase) -> None:
    assert real_kb.search("") == []
    assert real_kb.search("   ？！。") == []
    assert isinstance(real_kb.search("何ですか"), list)
    assert real_kb.search("慶弔休暇", k=0) == []


def test_type_ahead_prefix(real_kb: KnowledgeBase) -> None:
    hits = real_kb.search("慶", k=3)
    assert hits and any("慶弔" in h.text for h in hits)


def test_exact_code_ranks_first(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    files = {f"備品{i}.md": f"# 備品台帳{i}\n\nPC の管理番号は 0231 ではなく PC-{1000 + i} とする。PC は総務部が管理する。PC PC\n" for i in range(8)}
    files["対象.md"] = "# 貸与品\n\n貸与したノートパソコン（PC-0231）は退職時に返却する。\n"
    _index(kbase, root, files)
    hits = kbase.search("PC-0231", k=3)
    assert hits[0].path == str(root / "対象.md")
    assert "PC-0231" in "".join(_marked(hits[0])).replace(" ", "") or "0231" in _marked(hits[0])
    assert kbase.search("pc-0231")[0].path == str(root / "対象.md")  # case and width do not matter
    assert kbase.search("ＰＣ－０２３１")[0].path == str(root / "対象.md")


def test_exact_phrase_ranks_first(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    files = {f"様式{i}.md": f"# 申請{i}\n\n様式第1号を使う。第3号の手続は別に定める。様式は総務部にある。\n" for i in range(6)}
    files["休暇届.md"] = "# 休暇届\n\n休暇を取るときは様式第3号を提出する。\n"
    _index(kbase, root, files)
    for query in ("「様式第3号」", "様式第3号", '"様式第3号"', "様式第３号の書き方"):
        assert kbase.search(query, k=3)[0].path == str(root / "休暇届.md"), query


def test_broken_pdf_style_text_still_matches(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    _index(kbase, root, {"抽出.txt": "労働者は、継続24 時間以上の休息を取る。\n年次有給休\n暇は10日とする。\n"})
    hit = kbase.search("年次有給休暇")[0]
    assert any(m.replace(" ", "") in ("年次有給休暇", "年次", "有給", "休暇") for m in _marked(hit))
    assert kbase.search("継続24時間")[0].path == str(root / "抽出.txt")


def test_english_documents(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    _index(
        kbase,
        root,
        {
            "expense.md": "# Expense policy\n\nSubmit the expense report within 30 days. Receipts are required.\n",
            "other.md": "# Office guide\n\nThe meeting rooms are on the 3rd floor.\n",
        },
    )
    hits = kbase.search("How do I submit an expense report?")
    assert hits[0].path == str(root / "expense.md")
    assert "expense" in [m.lower() for m in _marked(hits[0])]


def test_company_synonyms_take_effect_without_restart(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    _index(kbase, root, {"pc.md": "# 貸与\n\nノートパソコンは情報システム部が貸与する。\n"})
    assert kbase.search("ノーパソ") == []
    with kbase.synonyms_path.open("a", encoding="utf-8") as fh:
        fh.write("ノーパソ\tノートパソコン\n")
    assert kbase.search("ノーパソ")[0].path == str(root / "pc.md")


def test_question_words_do_not_decide(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    _index(
        kbase,
        root,
        {
            "a.md": "# 休暇\n\n慶弔休暇は、本人の結婚の場合5日とする。\n",
            "b.md": "# 何日\n\n何日までに提出するかは、何日前でもよい。何日でも。\n",
            "c.md": "# 慶弔\n\n慶弔見舞金を支給する。休暇については別に定める。\n",
        },
    )
    hits = kbase.search("慶弔休暇は何日ですか？")
    assert hits[0].path == str(root / "a.md")
    assert all(h.path != str(root / "b.md") for h in hits)


def test_snippet_window_and_spans() -> None:
    text = "前置き。" * 60 + "ここに慶弔休暇の説明がある。" + "後書き。" * 60
    start = text.index("慶弔休暇")
    snippet, spans = make_snippet(text, [(start, start + 4, ("慶弔", "休暇"))])
    assert snippet.startswith("…") and snippet.endswith("…")
    assert [snippet[a:b] for a, b in spans] == ["慶弔休暇"]


def test_article_helpers() -> None:
    assert kanji_number("二十四") == 24 and kanji_number("百五") == 105 and kanji_number("24") == 24
    assert normalize_article("第二十四条の二") == "第24条の2"
    assert normalize_article("第 24 条") == "第24条"
    assert normalize_article("附則") is None
    plan = build_plan("第24条の2について")
    assert plan.article == "第24条の2"


def test_a_pasted_paragraph_is_a_query_too(real_kb: KnowledgeBase) -> None:
    text = (REALDOCS / "tuqulore__01_就業規則.md").read_text(encoding="utf-8")
    start = text.index("慶弔休暇")
    hits = real_kb.search(text[start : start + 3000], k=5)  # longer than any query box: cut, still answered
    assert hits and all(h.title for h in hits)


def test_quantity_questions_prefer_passages_with_that_number() -> None:
    days = answer_pattern("慶弔休暇は何日もらえる？")
    assert days is not None and days.search("結婚の場合は5日とする") and not days.search("5万円を支給する")
    money = answer_pattern("出張の日当はいくら")
    assert money is not None and money.search("日当は2,500円") and not money.search("3日以内")
    assert answer_pattern("慶弔休暇の申請方法") is None


def test_quantity_question_ranks_the_answer(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    _index(
        kbase,
        root,
        {
            "a.md": "# 退職\n\n退職するときは、退職届を会社に提出する。退職の手続は総務部で行う。\n",
            "b.md": "# 退職の申出\n\n退職を希望する者は、退職日の30日前までに申し出ること。\n",
        },
    )
    assert kbase.search("辞めるときは何日前に言えばいい")[0].path == str(root / "b.md")


def test_demo_knowledge_base_every_format(demo_kb: Path, tmp_path: Path) -> None:
    kbase = KnowledgeBase(tmp_path / "demo_index")
    try:
        last = list(kbase.index([demo_kb]))[-1]
        assert (last.added, last.failed) == (8, 0)
        expected = {
            "慶弔見舞金はいくら": "md",
            "社用車の鍵はどこ": "txt",
            "避難経路": "pptx",
            "経費精算の期限": "docx",
            "出張の日当": "pdf",
            "会議室の予約": "html",
            "PCを借りたい": "csv",
        }
        for query, doc_type in expected.items():
            hits = kbase.search(query, k=3)
            assert doc_type in {h.doc_type for h in hits}, (query, [(h.title, h.location) for h in hits])
        faq = kbase.search("プロジェクターを借りたい", k=5)
        assert any(h.doc_type == "xlsx" and "シート" in h.location for h in faq)
    finally:
        kbase.close()


def test_hybrid_lets_words_lead_when_one_passage_holds_a_long_question(small_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, root = small_kb
    _index(kbase, root, {
        "出張.md": "# 出張旅費規程\n\n## 第8条（宿泊費）\n\n出張で大阪営業所へ行く社員の宿泊費は、領収書を添えて一泊12,000円まで実費を支給する。\n",
        "慶弔.md": "# 慶弔見舞金規程\n\n## 第3条（慶弔休暇）\n\n父母の死亡のときは5日の慶弔休暇を与える。\n",
        "経費.md": "# 経費精算規程\n\n## 第7条（領収書）\n\n領収書のない支出は精算できない。\n",
    })
    searcher = kbase._searcher()
    ids = {h.title: h.chunk_id for h in kbase.search("宿泊費 慶弔休暇 領収書", 10, mode="lexical")}
    hotel, grief, receipt = ids["出張旅費規程"], ids["慶弔見舞金規程"], ids["経費精算規程"]
    # the vector search prefers two other passages (as it may for a question in the rules' own long wording)
    dense = [(grief, 0.61), (receipt, 0.60), (hotel, 0.55)]
    sims = {hotel: 0.55, grief: 0.61, receipt: 0.60}

    def similarity_of(chunk_ids: list[int]) -> dict[int, float]:
        return {c: sims[c] for c in chunk_ids}

    long_q = "大阪営業所へ出張する社員の宿泊費は領収書があれば一泊いくらまで支給されますか"
    plan = searcher._plan(long_q, None)
    assert plan is not None and len(plan.concepts) >= kbase.fusion.decisive_concepts
    hits = searcher.hybrid(long_q, 3, None, dense, similarity_of, kbase.fusion)
    assert hits[0].chunk_id == hotel  # every word of the long question is in one passage: the words lead
    short_q = "泊まりの費用は？"
    hits = searcher.hybrid(short_q, 3, None, dense, similarity_of, kbase.fusion)
    assert hits[0].chunk_id == grief  # a short everyday question: meaning leads (3 : 1), as the dense list says


def test_hybrid_gives_each_article_one_place_before_repeating_one(small_kb: tuple[KnowledgeBase, Path]) -> None:
    """A long article cut into several chunks (第23条 and its 続き) no longer fills the first places: its later
    pieces step back behind the other articles, and come right after them."""
    kbase, root = small_kb
    long_article = "".join(f"{i}. 年次有給休暇の取得について定める事項その{i}。請求の時季と手続を細かく定める。" * 3 + "\n\n"
                           for i in range(1, 25))
    _index(kbase, root, {
        "就業規則.md": "# 就業規則\n\n## 第23条（年次有給休暇）\n\n" + long_article
                      + "## 第24条（半日単位の年次有給休暇）\n\n年次有給休暇は半日単位で取得できる。\n",
        "福利厚生.md": "# 福利厚生規程\n\n## 第5条（休暇の買取）\n\n未消化の年次有給休暇は買い取らない。\n",
    })
    rows = kbase.store.conn().execute(
        "SELECT c.id, c.article, f.path FROM chunks c JOIN files f ON f.id = c.file_id ORDER BY c.id").fetchall()
    pieces = [cid for cid, article, path in rows if article == "第23条"]
    half_day = next(cid for cid, article, _p in rows if article == "第24条")
    buyback = next(cid for cid, _a, path in rows if path.endswith("福利厚生.md") and _a == "第5条")
    assert len(pieces) >= 3, "the long article should be cut into several chunks"
    dense = [(pieces[0], 0.62), (pieces[1], 0.61), (pieces[2], 0.60), (half_day, 0.58), (buyback, 0.57)]
    sims = dict(dense)
    searcher = kbase._searcher()

    def ranked(per_article: int) -> list[int]:
        weights = dataclasses.replace(kbase.fusion, per_article=per_article)
        hits = searcher.hybrid("有給って何日前までに言えばいいの？", 5, None, dense,
                               lambda ids: {c: sims.get(c, 0.0) for c in ids}, weights)
        return [h.chunk_id for h in hits]

    spread = ranked(1)
    assert spread[0] == pieces[0] and set(spread[1:3]) == {half_day, buyback}
    assert spread[3:5] == pieces[1:3]  # the later pieces come right after the other articles
    assert ranked(0)[:3] == pieces[:3]  # without the rule, one article holds the first three places
