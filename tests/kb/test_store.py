"""kb.store: schema, whole-document replacement, cascades, failures and a clear error when unwritable."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from kb.store import SCHEMA_VERSION, ChunkRow, DocumentRow, Store
from kb.types import KbError


def _doc(source_id: int, path: str, texts: list[str], sha: str = "x") -> DocumentRow:
    chunks = [
        ChunkRow(i, f"p.{i + 1}", i + 1, None, "見出し", t, "規程", "見出し", t) for i, t in enumerate(texts)
    ]
    return DocumentRow(source_id, path, 10, 1, sha, "規程", "txt", "utf-8", "2024-04-01", "now", chunks)


def _counts(store: Store) -> tuple[int, int, int]:
    conn = store.conn()
    files = conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    fts = conn.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0]
    return files, chunks, fts


def test_schema_wal_and_private_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    conn = store.conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    if os.name == "posix":
        assert (os.stat(tmp_path / "index.sqlite").st_mode & 0o777) == 0o600
    store.close()


def test_replacing_a_document_never_duplicates(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        sid = tx.add_source("/docs", "now")
        tx.replace_document(_doc(sid, "/docs/a.txt", ["甲", "乙", "丙"]))
    with store.transaction() as tx:
        tx.replace_document(_doc(sid, "/docs/a.txt", ["丁", "戊"], sha="y"))
    assert _counts(store) == (1, 2, 2)
    assert store.file_states([sid])["/docs/a.txt"].sha256 == "y"
    ranked = store.rank_ids('"丁" OR "甲"', 10)
    assert {c.text for c in store.candidates(dict(ranked))} == {"丁"}
    assert store.doc_freqs(["丁", "甲", "乙"]) == {"丁": 1, "甲": 0, "乙": 0}
    store.close()


def test_term_frequencies_follow_inserts_and_deletes(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        sid = tx.add_source("/docs", "now")
        other = tx.add_source("/other", "now")
        tx.replace_document(_doc(sid, "/docs/a.txt", ["休暇", "休暇", "出張"]))
        tx.replace_document(_doc(other, "/other/b.txt", ["休暇"]))
    assert store.doc_freqs(["休暇", "出張", "規程"]) == {"休暇": 3, "出張": 1, "規程": 4}
    assert store.completions("休") == ["休暇"]
    with store.transaction() as tx:
        tx.remove_paths(["/docs/a.txt"])
    assert store.doc_freqs(["休暇", "出張"]) == {"休暇": 1, "出張": 0}
    assert store.completions("出") == []
    with store.transaction() as tx:
        tx.remove_source(other)
    assert store.doc_freqs(["休暇", "規程"]) == {"休暇": 0, "規程": 0}
    store.close()


def test_a_batch_counts_terms_like_one_document_at_a_time(tmp_path: Path) -> None:
    # replace_documents adds the frequencies once per batch; a path repeated in the batch keeps them exact.
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        sid = tx.add_source("/docs", "now")
        tx.replace_document(_doc(sid, "/docs/old.txt", ["休暇", "慶弔"]))
    with store.transaction() as tx:
        tx.replace_documents(
            [
                _doc(sid, "/docs/a.txt", ["休暇", "出張"]),
                _doc(sid, "/docs/old.txt", ["出張"], sha="y"),
                _doc(sid, "/docs/a.txt", ["休暇", "新語"], sha="z"),
                _doc(sid, "/docs/b.txt", ["新語"]),
            ]
        )
    assert _counts(store) == (3, 4, 4)
    assert store.doc_freqs(["休暇", "出張", "慶弔", "新語", "規程"]) == {
        "休暇": 1,
        "出張": 1,
        "慶弔": 0,
        "新語": 2,
        "規程": 4,
    }
    assert store.file_states([sid])["/docs/a.txt"].sha256 == "z"
    store.close()


def test_version_1_index_is_migrated(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        sid = tx.add_source("/docs", "now")
        tx.replace_document(_doc(sid, "/docs/a.txt", ["休暇", "出張"]))
        tx.conn.execute("DELETE FROM terms")
        tx.conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store.close()
    store = Store(tmp_path / "index.sqlite")
    assert store.doc_freqs(["休暇", "規程"]) == {"休暇": 1, "規程": 2}
    version = store.conn().execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert version == str(SCHEMA_VERSION)
    store.close()


def test_a_failed_transaction_leaves_the_old_version(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        sid = tx.add_source("/docs", "now")
        tx.replace_document(_doc(sid, "/docs/a.txt", ["甲"]))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.replace_document(_doc(sid, "/docs/a.txt", ["乙", "丙"]))
        raise RuntimeError("crash in the middle")
    assert _counts(store) == (1, 1, 1)
    store.close()


def test_failures_replace_content_and_are_cleared(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        sid = tx.add_source("/docs", "now")
        tx.replace_document(_doc(sid, "/docs/a.txt", ["甲"]))
        tx.record_failure(sid, "/docs/a.txt", 5, 2, "壊れています", "Broken", "now")
    assert _counts(store) == (0, 0, 0)
    assert store.failures() == [("/docs/a.txt", "壊れています", "Broken", "now")]
    with store.transaction() as tx:
        tx.replace_document(_doc(sid, "/docs/a.txt", ["甲"]))
    assert store.failures() == []
    store.close()


def test_removing_a_source_cascades(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        keep = tx.add_source("/keep", "now")
        drop = tx.add_source("/drop", "now")
        tx.replace_document(_doc(keep, "/keep/a.txt", ["甲"]))
        tx.replace_document(_doc(drop, "/drop/b.txt", ["乙", "丙"]))
        tx.record_failure(drop, "/drop/c.txt", 1, 1, "理由", "reason", "now")
    with store.transaction() as tx:
        tx.remove_source(drop)
    assert _counts(store) == (1, 1, 1)
    assert store.failures() == []
    assert [p for _, p, _ in store.sources()] == ["/keep"]
    store.close()


def test_paths_under_escapes_like_wildcards(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite")
    with store.transaction() as tx:
        sid = tx.add_source("/d", "now")
        tx.replace_document(_doc(sid, "/d/100%_x/a.txt", ["甲"]))
        tx.replace_document(_doc(sid, "/d/100ab_x/b.txt", ["乙"]))
    assert store.paths_under("/d/100%_x") == ["/d/100%_x/a.txt"]
    store.close()


def test_unwritable_index_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "index.sqlite").mkdir()  # a folder where the file should be: cannot be opened
    with pytest.raises(KbError) as err:
        Store(tmp_path / "index.sqlite")
    assert "索引" in err.value.message_ja and "index" in err.value.message_en


def test_index_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "index.sqlite").close()
    conn = sqlite3.connect(tmp_path / "index.sqlite")
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(KbError):
        Store(tmp_path / "index.sqlite")
