"""The team logbook on a real PostgreSQL: who changed what, no silent lost update, roles, LISTEN/NOTIFY,
TLS status, and the `team` commands (setup, connect, status, migrate) with two data homes on one server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from desktop.cli import main
from desktop.logbook import Filters, FollowUp, Logbook, Note
from desktop.logbook.pg_connect import TeamPasswords, TeamTarget
from desktop.logbook.pg_listen import Change, ChangeListener
from desktop.logbook.pg_schema import SchemaError
from desktop.logbook.pg_store import TeamLogbook
from desktop.logbook.store import ConflictError, PermissionDeniedError
from desktop.paths import DataHome
from desktop.settings import Settings
from tests.desktop.pg_fixtures import TeamServer, password_of
from tests.desktop.test_pg_store import make_inquiries, make_notes


@pytest.fixture
def alice(team_server: TeamServer) -> Iterator[TeamLogbook]:
    with TeamLogbook.open(team_server.url("alice")) as team:
        yield team


@pytest.fixture
def bob(team_server: TeamServer) -> Iterator[TeamLogbook]:
    with TeamLogbook.open(team_server.url("bob")) as team:
        yield team


@pytest.fixture
def carol(team_server: TeamServer) -> Iterator[TeamLogbook]:
    with TeamLogbook.open(team_server.url("carol")) as team:
        yield team


def test_every_record_keeps_who_created_and_last_changed_it(alice: TeamLogbook, bob: TeamLogbook) -> None:
    note = alice.notes.add(Note(text="会議室Aのプロジェクターが映らない", place="本社3F 会議室A"))
    assert (note.created_by, note.updated_by, note.version) == ("alice", "alice", 1)
    mine = bob.notes.get(note.id)
    assert mine is not None
    mine.set_status("対応中")
    bob.notes.update(mine)
    got = alice.notes.get(note.id)
    assert got is not None and (got.created_by, got.updated_by, got.version, got.status) == ("alice", "bob", 2, "対応中")
    q = bob.inquiries.add(make_inquiries(1)[0])
    assert (q.created_by, q.version) == ("bob", 1)


def test_the_client_cannot_forge_who_or_the_version(team_server: TeamServer, alice: TeamLogbook) -> None:
    note = alice.notes.add(Note(text="床が濡れている"))
    with psycopg.connect(team_server.url("bob"), autocommit=True) as conn:
        conn.execute("UPDATE soumu.notes SET updated_by = 'carol', created_by = 'carol', version = 99 WHERE id = %s", [note.id])
    got = alice.notes.get(note.id)
    assert got is not None and (got.created_by, got.updated_by, got.version) == ("alice", "bob", 2)


def test_a_conflicting_edit_is_caught_and_shows_both_versions(alice: TeamLogbook, bob: TeamLogbook) -> None:
    note = alice.notes.add(Note(text="エアコンの風が直接当たる", place="本社2F 執務室"))
    a, b = alice.notes.get(note.id), bob.notes.get(note.id)
    assert a is not None and b is not None and a.version == b.version == 1
    a.countermeasure = "風よけを設置"
    alice.notes.update(a)
    b.countermeasure = "席替えを提案"
    with pytest.raises(ConflictError) as caught:
        bob.notes.update(b)
    err = caught.value
    assert err.mine.countermeasure == "席替えを提案" and err.mine.version == 1
    assert err.theirs.countermeasure == "風よけを設置" and err.theirs.updated_by == "alice" and err.theirs.version == 2
    assert "alice" in err.ja and "両方" in err.ja
    stored = alice.notes.get(note.id)
    assert stored is not None and stored.countermeasure == "風よけを設置"  # nothing was overwritten
    # bob takes the server's version, merges by hand, saves: accepted
    merged = replace(err.theirs, countermeasure="風よけを設置、席替えも検討")
    assert bob.notes.update(merged).version == 3


def test_a_follow_up_added_meanwhile_is_not_lost(alice: TeamLogbook, bob: TeamLogbook) -> None:
    note = alice.notes.add(Note(text="駐車場の白線が消えている"))
    stale = bob.notes.get(note.id)
    assert stale is not None
    alice.notes.add_followup(note.id, FollowUp(text="業者に見積依頼", staff="alice"))
    stale.text = "駐車場の白線が消えかけている"
    with pytest.raises(ConflictError) as caught:
        bob.notes.update(stale)  # would have replaced the follow-ups without the new one
    assert [fu.text for fu in caught.value.theirs.followups] == ["業者に見積依頼"]


def test_concurrent_saves_of_one_note_one_wins_the_others_are_told(team_server: TeamServer, alice: TeamLogbook) -> None:
    note = alice.notes.add(Note(text="複合機の紙詰まり"))
    teams = [TeamLogbook.open(team_server.url(u)) for u in ("alice", "bob", "carol", "alice", "bob")]
    copies = [t.notes.get(note.id) for t in teams]
    start = threading.Barrier(len(teams))
    outcome: list[str] = []

    def save(i: int) -> None:
        copy = copies[i]
        assert copy is not None
        copy.text = f"複合機の紙詰まり(編集{i})"
        start.wait()
        try:
            teams[i].notes.update(copy)
            outcome.append("saved")
        except ConflictError:
            outcome.append("conflict")

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(teams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for t in teams:
        t.close()
    assert sorted(outcome) == ["conflict"] * 4 + ["saved"]
    final = alice.notes.get(note.id)
    assert final is not None and final.version == 2


def test_roles_staff_cannot_delete_or_export_a_manager_can(
    alice: TeamLogbook, carol: TeamLogbook, tmp_path: Path
) -> None:
    note = alice.notes.add(Note(text="消火器の期限切れ", category="安全・防災", severity="高"))
    with pytest.raises(PermissionDeniedError) as denied:
        alice.notes.delete(note.id)
    assert "管理者" in denied.value.ja
    with pytest.raises(PermissionDeniedError):
        alice.export("notes", tmp_path / "notes.csv")
    with pytest.raises(PermissionDeniedError):
        alice.lists.set_places(["倉庫"])
    assert not (tmp_path / "notes.csv").exists()
    assert alice.notes.get(note.id) is not None
    assert not alice.is_manager() and carol.is_manager()
    assert carol.export("notes", tmp_path / "notes.csv").rows == 1
    assert carol.notes.delete(note.id)
    assert alice.notes.get(note.id) is None


def test_other_pcs_are_told_when_records_change(team_server: TeamServer, alice: TeamLogbook) -> None:
    target, password = TeamTarget.parse(team_server.url("bob"))
    listener = ChangeListener(target, password, poll_s=0.1)
    stop = threading.Event()
    seen: list[Change] = []
    got_three = threading.Event()

    def listen() -> None:
        for change in listener.changes(stop):
            seen.append(change)
            if len([c for c in seen if c.kind == "notes"]) >= 3:
                got_three.set()

    thread = threading.Thread(target=listen)
    thread.start()
    try:
        assert listener.ready.wait(10)
        note = alice.notes.add(Note(text="自動ドアの反応が遅い"))
        current = alice.notes.get(note.id)
        assert current is not None
        current.severity = "中"
        alice.notes.update(current)
        with TeamLogbook.open(team_server.url("carol")) as carol:
            carol.notes.delete(note.id)
        assert got_three.wait(10), seen
    finally:
        stop.set()
        thread.join(10)
    notes = [c for c in seen if c.kind == "notes"]
    assert [(c.op, c.id, c.by) for c in notes] == [("insert", note.id, "alice"), ("update", note.id, "alice"),
                                                   ("delete", note.id, "carol")]
    assert notes[1].version == 2
    assert not thread.is_alive()


def test_tls_is_used_when_the_server_offers_it_and_the_mode_is_shown(team_server: TeamServer) -> None:
    with TeamLogbook.open(team_server.url("alice")) as team:
        st = team.status()
    assert st.ssl_in_use and st.sslmode == "prefer" and st.ssl_protocol.startswith("TLS")
    with TeamLogbook.open(team_server.url("alice", sslmode="disable")) as team:
        st = team.status()
    assert not st.ssl_in_use and st.sslmode == "disable"
    assert "sslmode=disable" in st.url and "pw-" not in st.url


def test_a_server_without_the_schema_is_refused_until_setup(
    empty_server: TeamServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SchemaError) as refused:
        TeamLogbook.open(empty_server.url("soumu_admin"))
    assert "team setup" in refused.value.ja
    assert main(["team", "setup", empty_server.url("soumu_admin")]) == 0
    assert "0002_roles_and_grants" in capsys.readouterr().out
    assert main(["team", "setup", empty_server.url("soumu_admin")]) == 0
    assert "最新" in capsys.readouterr().out
    with TeamLogbook.open(empty_server.url("alice")) as team:
        assert team.notes.add(Note(text="setup後に記録")).created_by == "alice"


def _cli(capsys: pytest.CaptureFixture[str], home: Path, *args: str, stdin: str | None = None,
         monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None and monkeypatch is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["--home", str(home), "team", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _team_of(home: Path) -> TeamLogbook:
    """What the app does for a data home in team mode: the saved URL plus the password from the keyring."""
    settings = Settings.load(DataHome.open(home).settings_file)
    target, _ = TeamTarget.parse(settings.team.url)
    return TeamLogbook.open(target, TeamPasswords(home).load(target))


def test_two_data_homes_connected_to_one_server_see_each_others_notes(
    team_server: TeamServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home_a, home_b = tmp_path / "pc_a", tmp_path / "pc_b"
    code, out, err = _cli(capsys, home_a, "connect", team_server.url("alice"))
    assert code == 0, err
    assert "sslmode=prefer" in out and "TLS: 使用中" in out and "keyring" in out
    code, out, err = _cli(capsys, home_b, "connect", team_server.url("bob", with_password=False), "--password-stdin",
                          stdin=password_of("bob") + "\n", monkeypatch=monkeypatch)
    assert code == 0, err
    for home in (home_a, home_b):  # the password is in the keyring, not in the settings
        saved = (home / "settings.json").read_text(encoding="utf-8")
        assert "pw-" not in saved and "postgresql://" in saved
    with _team_of(home_a) as a, _team_of(home_b) as b:
        a.notes.add(Note(text="PC-Aの声: 給湯室の蛇口から水漏れ"))
        b.notes.add(Note(text="PC-Bの声: 倉庫の照明が切れている"))
        for team in (a, b):
            assert {n.text[:4] for n in team.notes.list()} == {"PC-A", "PC-B"}
            assert {n.created_by for n in team.notes.list()} == {"alice", "bob"}
    code, out, err = _cli(capsys, home_b, "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["counts"] == {"notes": 2, "inquiries": 0} and status["user"] == "bob"
    assert status["ssl_in_use"] is True and status["sslmode"] == "prefer" and status["staff"] and not status["manager"]


def test_wrong_password_is_a_clear_error_without_the_password(
    team_server: TeamServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = team_server.url("alice").replace(password_of("alice"), "wrong-secret-xyz")
    code, _out, err = _cli(capsys, tmp_path / "pc", "connect", url)
    assert code == 1 and "接続できません" in err and "wrong-secret-xyz" not in err


def _local_logbook(home: Path, notes: list[Note]) -> None:
    with Logbook.open(DataHome.open(home), auto_backup=False) as book:
        book.lists.set_places(["倉庫", f"{home.name} の会議室"])
        book.lists.set_categories("notes", [*book.lists.categories("notes"), *{n.category for n in notes}])
        for n in notes:
            book.notes.add(n)
        for q in make_inquiries(5, seed=len(home.name) + len(notes)):
            book.inquiries.add(q)


def test_team_migrate_merges_two_local_logbooks_with_nothing_lost(
    team_server: TeamServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home_a, home_b = tmp_path / "pc_a", tmp_path / "pc_b"
    _local_logbook(home_a, make_notes(25, seed=1))
    _local_logbook(home_b, [replace(n, category="PC-Bだけの分類") if i == 0 else n for i, n in enumerate(make_notes(15, seed=2))])
    local_a_file = (home_a / "logbook.db").read_bytes()

    url_a, url_b = team_server.url("alice"), team_server.url("bob")
    code, out, err = _cli(capsys, home_a, "migrate", "--to", url_a, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["verified"] and "検証OK" in err
    assert [(k["kind"], k["added"], k["on_server"], k["same_hash"]) for k in report["kinds"]] == [
        ("notes", 25, 25, 25), ("inquiries", 5, 5, 5)]
    code, out, err = _cli(capsys, home_b, "migrate", "--to", url_b)
    assert code == 0, err
    assert "サーバー合計 40 件" in out and "検証OK" in err

    # idempotent: again, nothing added; the local files are kept as they were
    code, out, err = _cli(capsys, home_a, "migrate", "--to", url_a, "--json")
    assert code == 0, err
    assert [(k["added"], k["unchanged"]) for k in json.loads(out)["kinds"]] == [(0, 25), (0, 5)]
    assert (home_a / "logbook.db").read_bytes() == local_a_file

    with TeamLogbook.open(team_server.url("carol")) as team:
        with Logbook.open(DataHome.open(home_a), auto_backup=False) as a, \
                Logbook.open(DataHome.open(home_b), auto_backup=False) as b:
            ids_a = {n.id for n in a.notes.list()}
            union = ids_a | {n.id for n in b.notes.list()}
            assert team.notes.ids() == union and len(union) == 40
            assert team.inquiries.count() == 10
            for book in (a, b):
                for n in book.notes.list():
                    got = team.notes.get(n.id)
                    assert got is not None and got.text == n.text and got.followups == n.followups
        assert "PC-Bだけの分類" in team.lists.categories("notes")
        assert {"倉庫", "pc_a の会議室", "pc_b の会議室"} <= set(team.lists.places())
        # edited on the server after the migrate: a later migrate keeps the server's version, and says so
        first = team.notes.list(Filters(limit=1))[0]
        home, url = (home_a, url_a) if first.id in ids_a else (home_b, url_b)
        time.sleep(1.1)  # record times have whole seconds: the server's edit must be visibly later
        first.text = "サーバーで編集済み"
        team.notes.update(first)
    code, out, err = _cli(capsys, home, "migrate", "--to", url, "--json")
    assert code == 0, err
    notes_report = json.loads(out)["kinds"][0]
    assert notes_report["newer_on_server"] == [first.id] and notes_report["added"] == 0


def test_migrate_without_a_local_logbook_or_a_server_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _cli(capsys, tmp_path / "pc", "migrate")
    assert code == 1 and "ログブックがありません" in err
    _local_logbook(tmp_path / "pc2", make_notes(1))
    code, _out, err = _cli(capsys, tmp_path / "pc2", "migrate")
    assert code == 1 and "team connect" in err
