"""kb.watch: new, changed, deleted and renamed files reach the index by themselves (polling for the result)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kb import KnowledgeBase, is_network_path
from kb.watch import Watcher

TIMEOUT = 30.0


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll until ``condition()`` holds; generous timeout, no timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[KnowledgeBase, Path, list[list[str]]]]:
    root = tmp_path / "共有 フォルダ"
    root.mkdir()
    (root / "既存.md").write_text("# 既存\n\n会議室の予約は前日までに行う。\n", encoding="utf-8")
    kbase = KnowledgeBase(tmp_path / "index")
    list(kbase.index([root]))
    changes: list[list[str]] = []
    watcher = kbase.watch(on_change=changes.append, debounce=0.1)
    yield kbase, root, changes
    watcher.stop()
    kbase.close()


def _paths(kbase: KnowledgeBase, query: str) -> set[str]:
    return {h.path for h in kbase.search(query)}


def test_new_file_becomes_searchable(watched: tuple[KnowledgeBase, Path, list[list[str]]]) -> None:
    kbase, root, changes = watched
    doc = root / "新しい 規程.md"
    doc.write_text("# 防災\n\n避難訓練は毎年9月1日に実施する。\n", encoding="utf-8")
    assert wait_for(lambda: str(doc) in _paths(kbase, "避難訓練"))
    assert wait_for(lambda: any(str(doc) in batch for batch in changes))


def test_change_delete_and_rename(watched: tuple[KnowledgeBase, Path, list[list[str]]]) -> None:
    kbase, root, _ = watched
    doc = root / "既存.md"
    doc.write_text("# 既存\n\n駐車場の利用は申請制とする。\n", encoding="utf-8")
    assert wait_for(lambda: str(doc) in _paths(kbase, "駐車場"))
    assert wait_for(lambda: not kbase.search("会議室の予約"))

    moved = root / "sub" / "移動後.md"
    moved.parent.mkdir()
    doc.rename(moved)
    assert wait_for(lambda: _paths(kbase, "駐車場") == {str(moved)})

    moved.unlink()
    assert wait_for(lambda: not kbase.search("駐車場"))
    assert wait_for(lambda: kbase.status().files == 0)


def test_folder_moved_in_and_deleted(watched: tuple[KnowledgeBase, Path, list[list[str]]], tmp_path: Path) -> None:
    kbase, root, _ = watched
    outside = tmp_path / "outside"
    (outside / "a").mkdir(parents=True)
    (outside / "a" / "備品.md").write_text("# 備品\n\nプロジェクターは総務部で貸し出す。\n", encoding="utf-8")
    (outside / "a").rename(root / "a")
    assert wait_for(lambda: bool(kbase.search("プロジェクター")))
    (root / "a" / "備品.md").unlink()
    (root / "a").rmdir()
    assert wait_for(lambda: not kbase.search("プロジェクター"))


def test_a_file_still_being_written_is_indexed_complete(
    watched: tuple[KnowledgeBase, Path, list[list[str]]],
) -> None:
    kbase, root, _ = watched
    doc = root / "大きい.txt"
    with doc.open("w", encoding="utf-8") as fh:
        for i in range(20):
            fh.write(f"第{i + 1}項 備品台帳の記載事項その{i + 1}。\n" * 50)
            fh.flush()
            time.sleep(0.03)
        fh.write("最後の行: 棚卸しは年2回。\n")
    assert wait_for(lambda: bool(kbase.search("棚卸し")))
    assert kbase.search("棚卸し")[0].path == str(doc)


def test_polling_observer_works_too(tmp_path: Path) -> None:
    root = tmp_path / "share"
    root.mkdir()
    kbase = KnowledgeBase(tmp_path / "index", poll_interval=0.2)
    kbase.add_source(root)
    watcher = kbase.watch(debounce=0.1, force_polling=True)
    try:
        assert watcher.polled == [str(root)]
        (root / "通知.md").write_text("# 通知\n\n健康診断は10月に行う。\n", encoding="utf-8")
        assert wait_for(lambda: bool(kbase.search("健康診断")))
    finally:
        watcher.stop()
        kbase.close()
    assert not watcher.running


def test_network_path_heuristics(tmp_path: Path) -> None:
    assert is_network_path("\\\\fileserver\\soumu")
    assert is_network_path("//fileserver/soumu")
    assert not is_network_path(tmp_path)


def test_watcher_stops_cleanly_without_sources(tmp_path: Path) -> None:
    kbase = KnowledgeBase(tmp_path / "index")
    watcher = kbase.watch()
    assert isinstance(watcher, Watcher) and watcher.running
    kbase.close()  # stops its watchers
    assert not watcher.running


def test_source_added_and_removed_while_watching(
    watched: tuple[KnowledgeBase, Path, list[list[str]]], tmp_path: Path
) -> None:
    kbase, _, _ = watched
    extra = tmp_path / "追加の共有"
    extra.mkdir()
    kbase.add_source(extra)
    doc = extra / "メモ.md"
    doc.write_text("# メモ\n\nシュレッダーは3階にある。\n", encoding="utf-8")
    assert wait_for(lambda: str(doc) in _paths(kbase, "シュレッダー"))
    kbase.remove_source(extra)
    assert not kbase.search("シュレッダー")
    (extra / "後.md").write_text("# 後\n\nラミネーターは2階にある。\n", encoding="utf-8")
    time.sleep(0.5)  # nothing may come back for a folder no longer registered
    assert not kbase.search("ラミネーター") and not kbase.search("シュレッダー")
