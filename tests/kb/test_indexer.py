"""kb.indexer through KnowledgeBase.index(): incremental runs, renames, failures, symlinks, cancel, threads."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import IndexProgress, KnowledgeBase
from kb.indexer import spawn_is_safe


def _run(kbase: KnowledgeBase, folders: list[Path] | None = None) -> tuple[list[IndexProgress], IndexProgress]:
    steps = list(kbase.index(folders))
    assert steps[-1].phase == "done"
    return steps, steps[-1]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def kbase(tmp_path: Path) -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase(tmp_path / "index")
    yield kb
    kb.close()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    _write(root / "慶弔.md", "# 慶弔見舞金規程\n\n## 第5条（結婚祝金）\n\n社員が結婚したときは、結婚祝金として3万円を支給する。\n")
    _write(root / "sub" / "車.txt", "社用車の鍵は総務部で管理する。使用後は走行距離を記録すること。\n", "cp932")
    _write(root / "sub" / "deep" / "a" / "b" / "経費.md", "立替経費は翌月5日までに精算する。\n")
    return root


def test_first_run_then_nothing_changed(kbase: KnowledgeBase, docs: Path) -> None:
    _, last = _run(kbase, [docs])
    assert (last.added, last.failed, last.unchanged) == (3, 0, 0)
    steps, last = _run(kbase)
    assert (last.added, last.updated, last.removed, last.unchanged) == (0, 0, 0, 3)
    assert not [s for s in steps if s.phase == "parse"]  # nothing was read
    assert kbase.search("社用車の鍵")[0].path == str(docs / "sub" / "車.txt")


def test_touch_modify_delete_rename(kbase: KnowledgeBase, docs: Path) -> None:
    _run(kbase, [docs])
    car = docs / "sub" / "車.txt"
    st = car.stat()
    os.utime(car, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched, same content
    _, last = _run(kbase)
    assert (last.updated, last.unchanged) == (0, 3)
    _, last = _run(kbase)
    assert last.unchanged == 3 and not last.updated  # the new stat was stored

    _write(docs / "慶弔.md", "# 慶弔見舞金規程\n\n弔慰金として5万円を支給する。\n")
    _, last = _run(kbase)
    assert last.updated == 1
    assert kbase.search("弔慰金")[0].path == str(docs / "慶弔.md")
    assert not [h for h in kbase.search("結婚祝金") if "慶弔" in h.path]

    (docs / "sub" / "deep" / "a" / "b" / "経費.md").rename(docs / "経費（新）.md")
    (docs / "sub" / "車.txt").unlink()
    _, last = _run(kbase)
    assert (last.added, last.removed) == (1, 2)
    hits = kbase.search("立替経費")
    assert [h.path for h in hits] == [str(docs / "経費（新）.md")]
    assert not kbase.search("社用車")
    status = kbase.status()
    assert (status.files, len(status.failures)) == (2, 0)


def test_japanese_file_names_with_spaces(kbase: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "社内 規程 集"
    doc = _write(folder / "慶弔 見舞金 規程 (2024年版).md", "# 慶弔見舞金\n\n香典は1万円とする。\n")
    _run(kbase, [folder])
    hit = kbase.search("香典")[0]
    assert hit.path == str(doc) and Path(hit.path).is_file()
    assert hit.title


def test_noise_and_unsupported_files_are_skipped_quietly(kbase: KnowledgeBase, docs: Path) -> None:
    (docs / "~$慶弔.docx").write_bytes(b"lock")
    (docs / ".DS_Store").write_bytes(b"\0\0")
    (docs / "Thumbs.db").write_bytes(b"\0\0")
    (docs / "setup.exe").write_bytes(b"MZ\0\0")
    (docs / ".git").mkdir()
    _write(docs / ".git" / "notes.md", "隠しフォルダの中身")
    _, last = _run(kbase, [docs])
    assert (last.added, last.failed) == (3, 0)
    assert kbase.status().failures == []


def test_a_broken_file_is_recorded_and_clears_when_fixed(kbase: KnowledgeBase, docs: Path) -> None:
    broken = docs / "壊れた 規程.docx"
    broken.write_bytes(b"this is not a zip file at all")
    binary = docs / "バイナリ.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    _, last = _run(kbase, [docs])
    assert (last.added, last.failed) == (3, 2)
    failures = {f.path: f for f in kbase.status().failures}
    assert set(failures) == {str(broken), str(binary)}
    assert failures[str(broken)].reason_ja and failures[str(broken)].reason_en

    _, last = _run(kbase)  # unchanged broken files are not retried, still reported
    assert (last.failed, last.unchanged) == (2, 3)

    binary.write_text("バイナリではなくなった文書。備品の棚卸しは年2回。", encoding="utf-8")
    _, last = _run(kbase)
    assert (last.added, last.failed) == (1, 1)
    assert [f.path for f in kbase.status().failures] == [str(broken)]
    assert kbase.search("棚卸し")[0].path == str(binary)

    broken.unlink()
    _, last = _run(kbase)
    assert kbase.status().failures == []


@pytest.mark.skipif(os.name != "posix", reason="symlinks need privileges on Windows")
def test_symlink_loops_do_not_hang(kbase: KnowledgeBase, docs: Path) -> None:
    os.symlink(docs, docs / "sub" / "loop")  # a link back to the root
    os.symlink(docs / "sub", docs / "sub" / "deep" / "up")
    os.symlink(docs / "nowhere", docs / "dangling")
    _, last = _run(kbase, [docs])
    assert last.added == 3
    assert kbase.status().files == 3


def test_a_file_deleted_during_the_run(kbase: KnowledgeBase, docs: Path) -> None:
    victim = docs / "sub" / "車.txt"
    kbase.add_source(docs)
    steps = []
    for step in kbase.index():
        steps.append(step)
        if step.phase == "scan" and step.total and victim.exists():
            victim.unlink()  # scanned, then gone before it is read
    last = steps[-1]
    assert (last.added, last.failed) == (2, 0)
    assert kbase.status().files == 2


def test_cancel_stops_and_the_next_run_completes(kbase: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "many"
    for i in range(30):
        _write(root / f"{i:03d}.md", f"# 通知{i}\n\n第{i}号の通知です。会議室の予約は前日まで。\n")
    cancel = threading.Event()
    kbase.add_source(root)
    done = 0
    for step in kbase.index(cancel=cancel):
        if step.phase == "parse":
            done = step.done
            if done == 5:
                cancel.set()
    assert done == 5
    assert kbase.status().sources[0].last_indexed is None  # an interrupted run is not "up to date"
    assert kbase.status().files == 5  # what was read before the cancel is kept
    _, last = _run(kbase)
    assert (last.added, last.unchanged) == (25, 5)
    assert kbase.status().files == 30
    conn = kbase.store.conn()
    assert conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == conn.execute(
        "SELECT COUNT(*) FROM chunks_fts"
    ).fetchone()[0]


def test_missing_source_folder_keeps_its_index(kbase: KnowledgeBase, docs: Path, tmp_path: Path) -> None:
    _run(kbase, [docs])
    docs.rename(tmp_path / "unplugged")
    _, last = _run(kbase)
    assert last.removed == 0
    status = kbase.status()
    assert status.files == 3 and status.sources[0].available is False


def test_remove_source_forgets_its_files(kbase: KnowledgeBase, docs: Path) -> None:
    _run(kbase, [docs])
    kbase.remove_source(docs)
    assert kbase.sources() == [] and kbase.status().files == 0
    assert not kbase.search("社用車")
    assert docs.joinpath("慶弔.md").exists()  # the user's files are never touched


def test_search_from_another_thread_while_indexing(kbase: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "many"
    _write(root / "000.md", "# 最初\n\n防災訓練は毎年9月に行う。\n")
    _run(kbase, [root])
    for i in range(1, 120):
        _write(root / f"{i:03d}.md", f"# 規程{i}\n\n第{i}条 備品番号 EQ-{i:04d} の管理者は総務部とする。\n" * 5)
    results: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        try:
            while not stop.is_set():
                results.append(len(kbase.search("防災訓練")))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=searcher)
    worker.start()
    try:
        _, last = _run(kbase)
    finally:
        stop.set()
        worker.join(30)
    assert not errors
    assert last.added == 119
    assert results and all(n == 1 for n in results)
    assert kbase.search("EQ-0077")[0].path == str(root / "077.md")


def test_worker_processes_give_the_same_index(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for i in range(60):
        _write(root / f"{i:03d}.md", f"# 規程{i}\n\n## 第1条（目的）\n\n備品番号 EQ-{i:04d} は総務部が管理する。\n")
    (root / "壊れた.docx").write_bytes(b"not a zip")
    assert spawn_is_safe()  # pytest's main module is guarded: the pool really runs here
    results = []
    for workers in (1, 2):
        kbase = KnowledgeBase(tmp_path / f"index{workers}", workers=workers)
        try:
            _, last = _run(kbase, [root])
            status = kbase.status()
            results.append((last.added, last.failed, status.files, status.chunks, len(status.failures)))
            assert kbase.search("EQ-0042")[0].path == str(root / "042.md")
        finally:
            kbase.close()
    assert results[0] == results[1] == (60, 1, 60, results[0][3], 1)


def test_files_are_reread_when_the_analysis_changes(tmp_path: Path, docs: Path) -> None:
    kbase = KnowledgeBase(tmp_path / "index")
    _run(kbase, [docs])
    with kbase.store.transaction() as tx:
        tx.set_meta("analysis", "an older analysis")
    kbase.close()
    kbase = KnowledgeBase(tmp_path / "index")
    try:
        assert kbase.search("社用車")  # still searchable meanwhile
        _, last = _run(kbase)
        assert (last.updated, last.unchanged) == (3, 0)
        _, last = _run(kbase)
        assert last.unchanged == 3
    finally:
        kbase.close()


def test_a_run_abandoned_by_its_caller_keeps_what_was_read(kbase: KnowledgeBase, tmp_path: Path) -> None:
    root = tmp_path / "many"
    for i in range(10):
        _write(root / f"{i:02d}.md", f"# 文書{i}\n\n内容{i}。\n")
    kbase.add_source(root)
    run = kbase.index()
    for step in run:
        if step.phase == "parse" and step.done == 4:
            break
    run.close()  # e.g. the window that showed the progress was closed
    assert kbase.status().files == 4
    _, last = _run(kbase)
    assert (last.added, last.unchanged) == (6, 4)


def test_huge_line_and_too_large_file(tmp_path: Path) -> None:
    root = tmp_path / "hostile"
    line = "就業規則の適用範囲" * 33_000 + "最後に備品台帳の保管場所を定める"  # ~300,000 characters, no space
    _write(root / "一行.txt", line)
    kbase = KnowledgeBase(tmp_path / "index", max_bytes=1_000_000)
    try:
        (root / "大きい.txt").write_bytes(("備品" * 600_000).encode("utf-8"))  # 3.6 MB, over the limit
        _, last = _run(kbase, [root])
        assert (last.added, last.failed) == (1, 1)
        (failure,) = kbase.status().failures
        assert failure.path == str(root / "大きい.txt") and "大き" in failure.reason_ja
        assert kbase.search("備品台帳の保管場所")[0].path == str(root / "一行.txt")
    finally:
        kbase.close()


@pytest.mark.parametrize(
    ("parts", "article"),
    [
        (["慶弔見舞金要領", "第1章 総則", "第11条（目的）"], "第11条"),  # alone, 慶弔見舞金要領 reads 金要 領
        (["就業規則", "第3章 勤務"], "第24条の2"),  # the article is not in the heading: appended
        ([], "第5条"),
        (["テレワーク", "マニュアル", "VPN 接続"], None),  # katakana next to katakana across the separator
        (["Travel policy", "Chapter 2 Hotels", "Ｒｕｌｅ　３"], None),  # English and full-width forms
        (["出張旅費規程", "第2章　国内出張", "第5条(出張申請)", "1. 申請の手続"], "第5条"),
        (["（目的）", "別表 1", "ｶﾀｶﾅ見出し"], None),
        ([], None),
    ],
)
def test_heading_terms_are_the_whole_paths_terms(parts: list[str], article: str | None) -> None:
    from kb.analysis import get_analyzer
    from kb.indexer import heading_terms

    analyzer = get_analyzer()
    heading = " > ".join(parts)
    whole = f"{heading} {article}" if article and article not in heading else heading
    expected = analyzer.index_text(whole) if whole else ""
    assert heading_terms(analyzer, parts, article) == expected
    assert heading_terms(analyzer, parts, article) == expected  # from the segment cache
