"""The retrieval set and the benchmark helpers stay well-formed (fast; timings live in benchmarks/ only).

Every answer reference must name a real document in ../shared/realdocs, and its article must really be
written in that file (on that page, for the PDF), so the set cannot drift away from the documents.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REALDOCS, REPO_ROOT

QUESTIONS = REPO_ROOT / "benchmarks" / "data" / "retrieval_questions.jsonl"
PDF_NAME = "jpaoai__001018385.pdf"


def _load_common() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_common", REPO_ROOT / "benchmarks" / "_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_common", module)
    spec.loader.exec_module(module)
    return module


common = _load_common()


def _questions() -> list[dict]:
    with QUESTIONS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def test_question_file_is_well_formed() -> None:
    questions = _questions()
    assert len(questions) >= 45
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids)
    assert len({q["question"] for q in questions}) == len(questions), "duplicate question text"
    for q in questions:
        assert set(q) == {"id", "question", "relevant", "note"}, q["id"]
        assert q["question"].strip() and "\n" not in q["question"], q["id"]
        assert q["relevant"], q["id"]
        for ref in q["relevant"]:
            assert set(ref) == {"file", "article", "page"}, q["id"]
            assert ref["article"] is None or re.fullmatch(r"第\d+条(の\d+)?", ref["article"]), q["id"]
            assert ref["page"] is None or (isinstance(ref["page"], int) and 1 <= ref["page"] <= 93), q["id"]
            if ref["file"] == PDF_NAME:
                assert ref["page"] is not None and ref["article"] is not None, q["id"]


def _require_realdocs() -> None:
    if not REALDOCS.is_dir():
        pytest.skip(f"the real documents are not here ({REALDOCS}); they sit beside the work tree")


def test_coverage_of_the_real_documents() -> None:
    _require_realdocs()
    questions = _questions()
    referenced = {ref["file"] for q in questions for ref in q["relevant"]}
    rulebooks = {p.name for p in REALDOCS.glob("*.md") if p.name != "README.md" and "ISSUE_TEMPLATE" not in p.name}
    assert rulebooks <= referenced, f"rulebooks without a question: {sorted(rulebooks - referenced)}"
    for other in (PDF_NAME, "holidaysjp__syukujitsu.csv", "jpaoai__figures.pptx"):
        assert other in referenced
    pdf_questions = [q for q in questions if any(r["file"] == PDF_NAME for r in q["relevant"])]
    assert len(pdf_questions) >= 12


def test_every_reference_points_at_real_text() -> None:
    _require_realdocs()
    pdfium = pytest.importorskip("pypdfium2")
    pdf = pdfium.PdfDocument(str(REALDOCS / PDF_NAME))
    page_text: dict[int, str] = {}
    try:
        for q in _questions():
            for ref in q["relevant"]:
                path = REALDOCS / ref["file"]
                assert path.is_file(), f"{q['id']}: no such realdocs file {ref['file']}"
                if ref["article"] is None:
                    continue
                if ref["file"] == PDF_NAME:
                    # the article starts on this page, or on the one before when the page continues it
                    for n in (ref["page"], ref["page"] - 1):
                        if n not in page_text:
                            page_text[n] = _nfkc(pdf[n - 1].get_textpage().get_text_range())
                    text = page_text[ref["page"] - 1] + page_text[ref["page"]]
                else:
                    text = _nfkc(path.read_text(encoding="utf-8"))
                assert common.article_in(ref["article"], text), f"{q['id']}: {ref['article']} not in {ref}"
    finally:
        pdf.close()


def test_relevance_rule() -> None:
    rel = [{"file": "a.md", "article": "第25条", "page": None}, {"file": "b.pdf", "article": "第23条", "page": 38}]
    assert common.is_relevant({"path": "/x/a.md", "location": "見出し: 第4章 > 第25条 時間外"}, rel)
    assert not common.is_relevant({"path": "/x/a.md", "location": "第25条の2 深夜業"}, rel)
    assert not common.is_relevant({"path": "/x/a.md", "location": "第250条"}, rel)
    assert not common.is_relevant({"path": "/x/c.md", "location": "第25条"}, rel)
    assert common.is_relevant({"path": "/x/b.pdf", "location": "p.38", "page": None}, rel)
    assert common.is_relevant({"path": "/x/b.pdf", "location": "p.41", "article": "第２３条"}, rel)
    assert common.is_relevant({"path": "/x/b.pdf", "location": "", "page": 38}, rel)
    assert not common.is_relevant({"path": "/x/b.pdf", "location": "p.40 第24条"}, rel)
    hits = [{"path": "/x/c.md"}, {"path": "/x/a.md", "article": "第25条", "location": ""}]
    assert common.first_relevant_rank(hits, rel) == 2


def test_bigram_baseline_ranks_the_matching_passage_first() -> None:
    baseline = common.BigramBaseline()
    docs = [
        common.BaselineDoc("/d/a.md", "a", "第1条", "慶弔休暇は本人が結婚したとき5日とする。"),
        common.BaselineDoc("/d/b.md", "b", "第2条", "出張の日当は3,000円に出張日数を乗じた額とする。"),
    ]
    baseline.add_many(docs)
    try:
        assert common.char_bigrams("PC買う") == ["pc", "c買", "買う"]
        assert baseline.search("出張の日当いくら", 5)[0]["path"] == "/d/b.md"
        assert baseline.search("慶弔休暇って何日", 5)[0]["path"] == "/d/a.md"
        assert baseline.search("、。", 5) == []
    finally:
        baseline.close()


def test_corpus_generator_is_deterministic(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_gen", REPO_ROOT / "benchmarks" / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.generate(tmp_path / "a", 30)
    gen.generate(tmp_path / "b", 20)
    gen.generate(tmp_path / "b", 10, offset=20)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 30
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    md = next(p for p in (tmp_path / "a").rglob("*.md"))
    text = md.read_text(encoding="utf-8")
    assert re.search(r"第\d+条", text) and "文書番号: SD-" in text


# ------------------------------------------------------------ everyday-phrasing set (issue 9)

EVERYDAY = REPO_ROOT / "benchmarks" / "data" / "everyday_questions.jsonl"
# the held-out set: other questions, written the same way, to validate rules calibrated on EVERYDAY
HELDOUT = REPO_ROOT / "benchmarks" / "data" / "everyday_heldout.jsonl"
DEMO_DIR = REPO_ROOT / "kb" / "demo"
# file -> (in-scope id prefix, out-of-scope id prefix, least in-scope, least out-of-scope)
EVERYDAY_SETS = {EVERYDAY: ("e", "o", 70, 25), HELDOUT: ("h", "p", 40, 25)}
EVERYDAY_IDS = [path.stem for path in EVERYDAY_SETS]


def _everyday(path: Path = EVERYDAY) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize("path", list(EVERYDAY_SETS), ids=EVERYDAY_IDS)
def test_everyday_question_file_is_well_formed(path: Path) -> None:
    in_prefix, out_prefix, least_in, least_out = EVERYDAY_SETS[path]
    questions = _everyday(path)
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids)
    assert len({(q["kb"], q["question"]) for q in questions}) == len(questions), "duplicate question in one kb"
    inscope = [q for q in questions if not q.get("out_of_scope")]
    oos = [q for q in questions if q.get("out_of_scope")]
    assert len(inscope) >= least_in and len(oos) >= least_out
    assert {q["kb"] for q in inscope} == {"demo", "realdocs"}
    for q in inscope:
        assert set(q) == {"id", "question", "relevant", "facts", "kb", "note"}, q["id"]
        assert re.fullmatch(in_prefix + r"\d+", q["id"]) and q["kb"] in ("demo", "realdocs"), q["id"]
        assert q["question"].strip() and "\n" not in q["question"], q["id"]
        assert q["relevant"] and q["facts"], q["id"]
        for ref in q["relevant"]:
            assert set(ref) in ({"file", "article", "page"}, {"file", "article", "page", "location"}), q["id"]
            assert ref["article"] is None or re.fullmatch(r"第\d+条(の\d+)?", ref["article"]), q["id"]
            if ref["file"] == PDF_NAME:
                assert ref["page"] is not None and ref["article"] is not None, q["id"]
        referenced = {ref["file"] for ref in q["relevant"]}
        for fact in q["facts"]:
            assert fact["doc"] in referenced and fact["facts"], q["id"]
    for q in oos:
        assert set(q) == {"id", "question", "relevant", "out_of_scope", "kb", "note"}, q["id"]
        assert re.fullmatch(out_prefix + r"\d+", q["id"]) and q["relevant"] == [] and q["out_of_scope"] is True, q["id"]
        assert q["kb"] in ("demo", "realdocs", "both"), q["id"]


def test_everyday_sets_do_not_overlap() -> None:
    """The held-out set shares no id and no question (in the same knowledge base) with the calibration set."""
    calibration, heldout = _everyday(EVERYDAY), _everyday(HELDOUT)
    assert not {q["id"] for q in calibration} & {q["id"] for q in heldout}
    assert not {(q["kb"], q["question"]) for q in calibration} & {(q["kb"], q["question"]) for q in heldout}


def _check_everyday_refs(questions_file: Path, kb: str, folder: Path) -> None:
    """Each reference names a file of its knowledge base, and the product's parser gives at least one passage
    that matches it (article, page, location) and that, together with the other matching passages of that
    file, contains every answer fact given for that file."""
    from kb.parsing import parse_document

    parsed: dict[str, list] = {}
    for q in (q for q in _everyday(questions_file) if q["kb"] == kb and not q.get("out_of_scope")):
        texts: dict[str, str] = {}
        for ref in q["relevant"]:
            path = folder / ref["file"]
            assert path.is_file(), f"{q['id']}: no such {kb} file {ref['file']}"
            if ref["file"] not in parsed:
                parsed[ref["file"]] = parse_document(path).chunks
            hits = [{"path": str(path), "location": c.location, "article": c.article, "page": c.page, "text": c.text}
                    for c in parsed[ref["file"]]]
            matched = [h for h in hits if common.is_relevant_located(h, [ref])]
            assert matched, f"{q['id']}: no passage of {ref['file']} matches {ref}"
            texts[ref["file"]] = texts.get(ref["file"], "") + " ".join(h["text"] for h in matched)
        for fact in q["facts"]:
            for item in fact["facts"]:
                assert common.answer_norm(item) in common.answer_norm(texts[fact["doc"]]), \
                    f"{q['id']}: fact {item!r} is not in the referenced passages of {fact['doc']}"


@pytest.mark.parametrize("path", list(EVERYDAY_SETS), ids=EVERYDAY_IDS)
def test_everyday_demo_references_point_at_real_text(path: Path) -> None:
    _check_everyday_refs(path, "demo", DEMO_DIR)


@pytest.mark.parametrize("path", list(EVERYDAY_SETS), ids=EVERYDAY_IDS)
def test_everyday_realdocs_references_point_at_real_text(path: Path) -> None:
    _require_realdocs()
    _check_everyday_refs(path, "realdocs", REALDOCS)


def test_everyday_eval_names_its_outputs_after_the_questions_file() -> None:
    spec = importlib.util.spec_from_file_location("bench_everyday", REPO_ROOT / "benchmarks" / "everyday_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.out_stem(EVERYDAY) == "everyday_eval"  # the default outputs keep their names
    assert module.out_stem(HELDOUT) == "everyday_eval_heldout"
    assert module.out_stem(Path("elsewhere") / "other.jsonl") == "everyday_eval_other"
    assert module.out_stem(HELDOUT, "everyday_model_eval") == "everyday_model_eval_heldout"


def test_located_relevance_rule() -> None:
    ref = [{"file": "f.xlsx", "article": None, "page": None, "location": "行2"}]
    assert common.is_relevant_located({"path": "/d/f.xlsx", "location": "シート「FAQ」 行2"}, ref)
    assert not common.is_relevant_located({"path": "/d/f.xlsx", "location": "シート「FAQ」 行23"}, ref)
    assert not common.is_relevant_located({"path": "/d/g.xlsx", "location": "シート「FAQ」 行2"}, ref)
    plain = [{"file": "a.md", "article": "第3条", "page": None}]
    assert common.is_relevant_located({"path": "/d/a.md", "location": "第3条（日数）"}, plain)
    assert common.first_relevant_rank_located([{"path": "/d/f.xlsx", "location": "行23"},
                                               {"path": "/d/f.xlsx", "location": "行2"}], ref) == 2
    assert common.answer_norm("３０，０００円・6ヶ月") == "30000円・6か月"


# ----------------------------------------------------- public-style passage retrieval (JSQuAD, issue 9)

JSQUAD_ENV = "SOUMU_JSQUAD"  # the JSQuAD file is not in the repository (CC BY-SA); see public_retrieval_eval.py


def _load_public_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_public", REPO_ROOT / "benchmarks" / "public_retrieval_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_public", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


public_eval = _load_public_eval()

_SQUAD = {"version": "x", "data": [
    {"title": "社用車", "paragraphs": [
        {"context": "社用車 [SEP] 給油は車両に備え付けの給油カードで行う。", "qas": [
            {"id": "1", "question": "ガソリンはどうやって入れる？", "answers": [], "is_impossible": False},
            {"id": "2", "question": "給油カードはどこ？", "answers": [], "is_impossible": False}]},
        {"context": "社用車 [SEP] 運転日誌は毎日提出する。", "qas": [
            {"id": "3", "question": "給油カードはどこ？", "answers": [], "is_impossible": False}]}]},
    {"title": "慶弔", "paragraphs": [
        {"context": "慶弔 [SEP] 父母の死亡は5日の休暇とする。", "qas": [
            {"id": "4", "question": "親が亡くなったら何日休める？", "answers": [], "is_impossible": False}]}]}]}


def test_jsquad_loader_reads_the_json_and_the_derived_jsonl(tmp_path: Path) -> None:
    src = tmp_path / "test.json"
    src.write_text(json.dumps(_SQUAD, ensure_ascii=False), encoding="utf-8")
    paragraphs = public_eval.load_jsquad(src)
    assert [p.title for p in paragraphs] == ["社用車", "社用車", "慶弔"]
    assert paragraphs[0].context == "給油は車両に備え付けの給油カードで行う。"  # the 「タイトル [SEP] 」 prefix is gone
    assert paragraphs[0].questions == ["ガソリンはどうやって入れる？", "給油カードはどこ？"]
    assert len(public_eval.load_jsquad(src, limit=2)) == 2
    derived = tmp_path / "derived.jsonl"
    public_eval.export_jsonl(paragraphs, derived)
    assert public_eval.load_jsquad(derived) == paragraphs
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "a", "context": "b", "questions": []}\n{"title": "a"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        public_eval.load_jsquad(bad)


def test_jsquad_questions_corpus_and_ranks(tmp_path: Path) -> None:
    src = tmp_path / "test.json"
    src.write_text(json.dumps(_SQUAD, ensure_ascii=False), encoding="utf-8")
    paragraphs = public_eval.load_jsquad(src)
    questions = public_eval.question_set(paragraphs, 1000, 7)
    by_text = {q["question"]: q["relevant"] for q in questions}
    # a question asked of two paragraphs counts both of them
    assert by_text["給油カードはどこ？"] == ["jsquad_0000.md", "jsquad_0001.md"]
    assert len(questions) == 3
    sample = public_eval.question_set(paragraphs, 2, 7)
    assert len(sample) == 2 and sample == public_eval.question_set(paragraphs, 2, 7)
    public_eval.write_corpus(paragraphs, tmp_path / "docs")
    first = (tmp_path / "docs" / "jsquad_0000.md").read_text(encoding="utf-8")
    assert first == "# 社用車\n\n給油は車両に備え付けの給油カードで行う。\n"
    assert public_eval.first_rank(["x.md", "jsquad_0001.md"], ["jsquad_0001.md"]) == 2
    assert public_eval.first_rank(["x.md"], ["jsquad_0001.md"]) is None
    m = common.rank_metrics([1, 2, None, 6])
    assert m == {"R@1": 0.25, "R@5": 0.5, "MRR@10": pytest.approx((1 + 0.5 + 1 / 6) / 4)}


def test_jsquad_fusion_option() -> None:
    import argparse

    assert public_eval.parse_fusion("1:3:10") == (1.0, 3.0, 10.0)
    assert public_eval.fusion_label(1.0, 0.5, 60.0) == "hybrid, fusion 1 : 0.5, k = 60"
    for bad in ("1:3", "a:b:c"):
        with pytest.raises(argparse.ArgumentTypeError):
            public_eval.parse_fusion(bad)


def test_jsquad_file_when_present() -> None:
    """The real JSQuAD file (JGLUE test-v1.3.json or the JSONL derived from it), when the machine has one."""
    import os

    path = Path(os.environ.get(JSQUAD_ENV, "/nonexistent"))
    if not path.is_file():
        pytest.skip(f"no JSQuAD file: set {JSQUAD_ENV} to JGLUE's test-v1.3.json or the derived JSONL "
                    "(not in the repository: CC BY-SA 4.0)")
    paragraphs = public_eval.load_jsquad(path)
    assert len(paragraphs) >= 200
    for p in paragraphs:
        assert p.title and p.context and " [SEP] " not in p.context and p.questions, p.title


def test_embedder_variants_compare_at_equal_not_found() -> None:
    """The variants' table: each set's threshold admits 0, 1, 2, 3 of its out-of-scope questions, and a question
    asked of both knowledge bases counts its better one."""
    spec = importlib.util.spec_from_file_location("bench_variants", REPO_ROOT / "benchmarks" / "embedder_variants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def row(set_name: str, oos: bool, *per: tuple[int | None, float, bool]) -> dict:
        return {"set": set_name, "id": "x", "out_of_scope": oos,
                "per": [{"kb": "demo", "rank": r, "score": s, "right": ok} for r, s, ok in per]}

    rows = []
    for set_name in ("everyday", "held-out"):
        rows += [row(set_name, False, (1, 0.70, True)), row(set_name, False, (3, 0.58, False), (1, 0.62, True)),
                 row(set_name, False, (None, 0.50, False)), row(set_name, False, (2, 0.56, True)),
                 row(set_name, True, (None, 0.60, False)), row(set_name, True, (None, 0.55, False)),
                 row(set_name, True, (None, 0.52, False)), row(set_name, True, (None, 0.40, False))]
    lines = module.summarise(rows)
    everyday = next(line for line in lines if line.startswith("| everyday"))
    cells = [c.strip() for c in everyday.strip("|").split("|")]
    assert cells[1:4] == ["0.500", "0.750", "0.750"]  # found@1 2/4, found@5 3/4; AUC 12/16
    assert cells[4].startswith("0.500 / 0.500")  # above 0.60: the 0.70 and 0.62 questions, both right
    assert cells[5].startswith("0.750 / 0.750")  # above 0.55: + the 0.56 one
    assert cells[7].startswith("1.000 / 0.750")  # above 0.40: the 0.50 question too, not right
