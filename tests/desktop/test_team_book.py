"""The app in team mode (desktop/logbook/team_book.py, desktop/services.py): the team logbook on a real
PostgreSQL (tests/desktop/pg_cluster.py) through the same interface the pages use, this PC's copy for the
analysis and for reading while the server is down, writes refused plainly then."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.context import Context
from desktop.insights import Insights, month
from desktop.logbook import Logbook, Note, Prompt
from desktop.logbook.pg_connect import TeamPasswords, TeamTarget
from desktop.logbook.records import Filters, Inquiry
from desktop.logbook.store import ConflictError
from desktop.logbook.team_book import ServerDownError, TeamBook, TeamNotAvailableError, open_configured
from desktop.paths import DataHome
from desktop.services import Services, allowed_hosts
from tests.desktop.pg_cluster import PgCluster
from tests.desktop.pg_fixtures import TeamServer, password_of


def connect_home(home: Path, server: TeamServer, user: str) -> Context:
    """What `team connect` leaves behind: the URL (no password) in settings, the password in the keyring."""
    ctx = Context.open(home)
    target, _ = TeamTarget.parse(server.url(user, with_password=False))
    TeamPasswords(ctx.home.root).save(target, password_of(user))
    ctx.settings.team.url = target.url
    ctx.settings.kb.watch = False
    ctx.save_settings()
    return ctx


@pytest.fixture
def two_pcs(team_server: TeamServer, tmp_path: Path) -> Iterator[tuple[Services, Services]]:
    a = Services(connect_home(tmp_path / "pc_a", team_server, "alice"))
    b = Services(connect_home(tmp_path / "pc_b", team_server, "bob"))
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_services_open_the_team_logbook_when_the_settings_say_so(two_pcs: tuple[Services, Services]) -> None:
    a, b = two_pcs
    book_a, book_b = a.logbook, b.logbook
    assert isinstance(book_a, TeamBook) and book_a.is_team and book_a.state.online
    saved = book_a.notes.add(Note(text="PC-Aの声: 2階の給湯室で水漏れ", place="給湯室", category="設備・備品"))
    assert saved.created_by == "alice" and saved.version >= 1
    book_b.inquiries.add(Inquiry(question="PC-Bの問い合わせ: 慶弔休暇は何日？", channel="電話"))
    # the same calls the pages make, on either PC, see the whole team's records
    for book in (book_a, book_b):
        assert [n.text[:4] for n in book.notes.list(Filters(text="水漏れ"))] == ["PC-A"]
        assert book.inquiries.count() == 1 and book.notes.count() == 1
        assert "給湯室" in book.lists.suggestions("place", "notes")
    assert book_b.notes.get(saved.id) is not None and book_b.notes.get(saved.id).created_by == "alice"  # type: ignore[union-attr]
    # this PC's own logbook file was not written: the records are on the server (and in the copy)
    assert not a.home.logbook_file.exists()


def test_the_analysis_reads_the_whole_team_from_this_pcs_copy(two_pcs: tuple[Services, Services]) -> None:
    a, b = two_pcs
    book_a, book_b = a.logbook, b.logbook
    for text, place in (("会議室Aが寒い", "会議室A"), ("会議室Aの空調が止まる", "会議室A"), ("倉庫が暗い", "倉庫")):
        book_b.notes.add(Note(text=text, place=place, category="空調・照明・騒音", occurred_at="2026-11-10T10:00:00"))
    assert isinstance(book_a, TeamBook)
    result = book_a.sync()
    assert result.fetched["notes"] == 3 and result.changed_kinds == {"notes"}
    counts = {c.key: c.count for c in Insights(book_a, 4).notes_by("place", month("2026-11"))}
    assert counts == {"会議室A": 2, "倉庫": 1}
    # a second sync fetches nothing; a note deleted on the server (a manager) leaves the copy too
    assert book_a.sync().changed_kinds == set()
    with TeamBook.open_team(DataHome.open(a.home.root.parent / "pc_c"),
                            TeamTarget.parse(a.settings.team.url.replace("alice", "carol"))[0],
                            password_of("carol")) as manager:
        victim = manager.notes.list(Filters(text="倉庫"))[0]
        assert manager.notes.delete(victim.id)
    assert book_a.sync().removed["notes"] == 1
    assert {c.key for c in Insights(book_a, 4).notes_by("place", month("2026-11"))} == {"会議室A"}


def test_a_conflicting_edit_through_the_app_is_caught_with_both_versions(two_pcs: tuple[Services, Services]) -> None:
    a, b = two_pcs
    note = a.logbook.notes.add(Note(text="エレベーターの異音"))
    mine = b.logbook.notes.get(note.id)
    theirs = a.logbook.notes.get(note.id)
    assert mine is not None and theirs is not None
    theirs.status = "対応中"
    a.logbook.notes.update(theirs)
    mine.text = "エレベーターの異音(3号機)"
    with pytest.raises(ConflictError) as caught:
        b.logbook.notes.update(mine)
    assert caught.value.mine.text.endswith("(3号機)") and caught.value.theirs.status == "対応中"
    assert caught.value.theirs.updated_by == "alice"
    assert a.logbook.notes.get(note.id).text == "エレベーターの異音"  # type: ignore[union-attr]  # nothing lost


def test_other_pcs_changes_reach_this_pc_and_it_is_told(two_pcs: tuple[Services, Services]) -> None:
    a, b = two_pcs
    book_a = a.logbook
    assert isinstance(book_a, TeamBook)
    told: list[set[str]] = []
    arrived = threading.Event()

    def changed(kinds: set[str]) -> None:
        told.append(kinds)
        if "notes" in kinds and book_a.copy_notes.count() == 1:
            arrived.set()

    book_a.on_change(changed)
    book_a.start_following(debounce_s=0.2)
    try:
        b.logbook.notes.add(Note(text="PC-Bから: 駐車場の照明が切れている"))
        assert arrived.wait(20), f"this PC was not told of the other PC's note (told: {told})"
        assert book_a.copy_notes.list()[0].text.startswith("PC-Bから")
    finally:
        book_a.stop_following()


def test_while_the_server_is_down_pages_read_the_copy_and_saving_says_why(
    pg_cluster: PgCluster, two_pcs: tuple[Services, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.logbook.team_book as team_book

    monkeypatch.setattr(team_book, "RETRY_AFTER_S", 0.0)
    a, _b = two_pcs
    book = a.logbook
    assert isinstance(book, TeamBook)
    first = book.notes.add(Note(text="停止前の記録: 玄関の自動ドアが重い", place="玄関"))
    pg_cluster.pause()
    try:
        listed = book.notes.list()  # no exception: the last copy, with who wrote it
        assert [n.id for n in listed] == [first.id] and listed[0].created_by == "alice"
        assert not book.state.online and "接続できません" in book.state.problem_ja
        assert book.lists.places() == ["玄関"] or "玄関" in book.lists.suggestions("place")
        with pytest.raises(ServerDownError) as refused:
            book.notes.add(Note(text="停止中の記録"))
        assert "保存できません" in refused.value.ja and "nothing was saved" in refused.value.en
        assert book.copy_notes.count() == 1  # nothing written on this PC alone
    finally:
        pg_cluster.resume()
    assert len(book.notes.list()) == 1 and book.state.online  # back: the server answers again
    book.notes.add(Note(text="再開後の記録"))
    assert book.notes.count() == 2


def test_a_pc_that_cannot_reach_the_server_at_start_opens_read_only(team_server: TeamServer, tmp_path: Path) -> None:
    ctx = connect_home(tmp_path / "pc", team_server, "alice")
    with open_configured(ctx.home, ctx.settings) as book:  # the copy is made and filled
        assert isinstance(book, TeamBook)
        book.notes.add(Note(text="最初の記録"))
    ctx.settings.team.url = ctx.settings.team.url.replace(f":{team_server.cluster.port}/", ":1/")
    TeamPasswords(ctx.home.root).save(TeamTarget.parse(ctx.settings.team.url)[0], password_of("alice"))
    # another copy (another server address), so nothing here yet; the point: opening does not fail
    with open_configured(ctx.home, ctx.settings) as book:
        assert isinstance(book, TeamBook) and not book.state.online
        assert book.notes.list() == []
        with pytest.raises(ServerDownError):
            book.notes.add(Note(text="x"))


def test_the_prompt_library_is_the_teams_and_restore_is_refused_plainly(
    pg_cluster: PgCluster, two_pcs: tuple[Services, Services], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.logbook.team_book as team_book

    a, b = two_pcs
    shared = a.logbook.prompts.add(Prompt(title="議事録の要約", text="次の議事録を3行で要約してください", tags=["会議"]))
    b.logbook.prompts.add(Prompt(title="お詫び文", text="次の件のお詫び文を丁寧に書いてください"))
    b.logbook.prompts.rate(shared.id, 5)
    assert b.logbook.prompts.use(shared.id).uses == 1
    for book in (a.logbook, b.logbook):  # one library for the team, best rated first
        assert [p.title for p in book.prompts.list()] == ["議事録の要約", "お詫び文"]
        assert [p.title for p in book.prompts.list(text="お詫び")] == ["お詫び文"]
        assert [p.title for p in book.prompts.list(tag="会議")] == ["議事録の要約"]
    book_a = a.logbook
    assert isinstance(book_a, TeamBook)
    book_a.sync()  # the copy mirrors it, for reading while the server is down
    monkeypatch.setattr(team_book, "RETRY_AFTER_S", 0.0)
    pg_cluster.pause()
    try:
        assert [p.title for p in book_a.prompts.list()] == ["議事録の要約", "お詫び文"]
        with pytest.raises(ServerDownError):
            book_a.prompts.add(Prompt(title="停止中", text="保存されない"))
    finally:
        pg_cluster.resume()
    book_a.searchlog.record("慶弔休暇", 3, kind="search")  # the search log stays per PC, in the copy's file
    with pytest.raises(TeamNotAvailableError) as refused:
        book_a.restore(tmp_path / "whatever.db")
    assert "pg_dump" in refused.value.ja


def test_team_migrate_brings_this_pcs_prompts(
    team_server: TeamServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from desktop.cli import main

    ctx = connect_home(tmp_path / "pc", team_server, "alice")
    with Logbook.open(ctx.home) as own:
        own.prompts.add(Prompt(title="議事録の要約", text="次の議事録を3行で要約してください"))
        own.notes.add(Note(text="このPCの記録"))
    for expected_added in (1, 0):  # idempotent: the second run adds nothing
        assert main(["--home", str(ctx.home.root), "team", "migrate", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["prompts"] == {"local": 1, "added": expected_added, "updated": 0, "unchanged": 1 - expected_added}
    with open_configured(ctx.home, ctx.settings) as book:
        assert [p.title for p in book.prompts.list()] == ["議事録の要約"]


def test_team_mode_allows_the_configured_database_host(team_server: TeamServer, tmp_path: Path) -> None:
    ctx = connect_home(tmp_path / "pc", team_server, "alice")
    assert allowed_hosts(ctx.settings) == {("127.0.0.1", team_server.cluster.port)}
    ctx.settings.team.url = ""
    assert allowed_hosts(ctx.settings) == set()


def test_the_log_and_insights_commands_use_the_team_logbook(
    two_pcs: tuple[Services, Services], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from desktop.cli import main

    a, b = two_pcs
    b.logbook.notes.add(Note(text="PC-Bの声: 食堂の椅子が壊れている", place="食堂", occurred_at="2026-11-05T12:00:00"))
    home = str(a.home.root)
    assert main(["--home", home, "log", "add", "note", "--text", "CLIから: 食堂が暑い", "--place", "食堂"]) == 0
    capsys.readouterr()
    assert main(["--home", home, "log", "list", "notes", "--json"]) == 0
    texts = {n["text"] for n in json.loads(capsys.readouterr().out)}
    assert texts == {"PC-Bの声: 食堂の椅子が壊れている", "CLIから: 食堂が暑い"}
    assert {n.created_by for n in b.logbook.notes.list()} == {"alice", "bob"}


def test_the_first_save_after_a_server_restart_goes_through(
    pg_cluster: PgCluster, two_pcs: tuple[Services, Services]
) -> None:
    a, _b = two_pcs
    book = a.logbook
    assert book.notes.count() == 0  # this thread's connection is open and idle
    pg_cluster.pause()
    pg_cluster.resume()  # the idle connection died with the old server process
    saved = book.notes.add(Note(text="再起動後の最初の保存"))
    assert book.notes.get(saved.id) is not None and isinstance(book, TeamBook) and book.state.online


def test_the_search_log_is_the_teams_and_the_analysis_counts_every_pc(
    team_server: TeamServer, two_pcs: tuple[Services, Services]
) -> None:
    import psycopg

    from desktop.insights_store import load_searches

    a, b = two_pcs
    a.logbook.searchlog.record("慶弔休暇は何日", 3, kind="ask", grounded=True)
    missed = b.logbook.searchlog.record("来年の予算は", 0, kind="search")
    b.logbook.searchlog.rate(missed.id, "Bad", "規程にない")
    for book in (a.logbook, b.logbook):
        assert [e.query for e in book.searchlog.entries()] == ["慶弔休暇は何日", "来年の予算は"]
        assert [e.query for e in book.searchlog.entries(unanswered_only=True)] == ["来年の予算は"]
    book_a = a.logbook
    assert isinstance(book_a, TeamBook)
    book_a.sync()  # the analysis reads the copy: both PCs' searches, with the rating
    rows = load_searches(book_a)
    assert [(r.query, r.unanswered) for r in rows] == [("慶弔休暇は何日", False), ("来年の予算は", True)]
    assert book_a.copy_searchlog.entries()[1].rating == "Bad"
    with psycopg.connect(team_server.url("alice")) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE soumu.search_log SET query = 'x'")  # nobody rewrites what was asked


def test_the_window_opens_the_team_logbook_without_waiting_for_the_server(
    two_pcs: tuple[Services, Services], empty_server: TeamServer, tmp_path: Path
) -> None:
    a, _b = two_pcs
    book = a.logbook  # what the window does on its UI thread at start
    assert isinstance(book, TeamBook)
    assert getattr(book._remote().db._local, "conn", None) is None  # no connection made on this thread
    deadline = time.monotonic() + 15
    while not (book.state.checked and book.state.last_sync) and time.monotonic() < deadline:
        time.sleep(0.05)  # the follower thread reached the server, checked it and synced the copy
    assert book.state.online and book.state.checked and book.state.last_sync
    # a server without the team logbook: the window still opens, and the state says what to do
    elsewhere = Services(connect_home(tmp_path / "pc_x", empty_server, "alice"))
    try:
        other = elsewhere.logbook
        assert isinstance(other, TeamBook)
        deadline = time.monotonic() + 15
        while other.state.online and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not other.state.online and "team setup" in other.state.problem_ja
    finally:
        elsewhere.close()
