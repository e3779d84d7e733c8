"""Other PCs' changes, as they happen: LISTEN on the team logbook's channel (DESIGN.md §5).

A plain generator (STYLE.md §2): :meth:`ChangeListener.changes` yields one :class:`Change` per record
another session (or this one) inserted, updated or deleted, once its transaction committed, until
``stop`` is set; a small Qt adapter in ``ui/`` can turn them into a "refresh" signal. The listener has its
own connection (LISTEN needs one that is not inside a transaction). When the connection drops, it
reconnects with a growing pause and yields ``Change(kind="*", op="resync")``: changes may have been
missed, so the caller reloads what it shows.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg

from desktop.logbook.pg_connect import TeamConnectError, TeamTarget, connect
from desktop.logbook.pg_schema import CHANNEL

log = logging.getLogger(__name__)

StateCallback = Callable[[bool, "TeamConnectError | None"], None]


@dataclass(frozen=True)
class Change:
    """``kind``: notes / inquiries / categories / places, or ``*`` (reload everything);
    ``op``: insert / update / delete / resync (or idle, see :meth:`ChangeListener.changes`); ``by``: the login role that made the change."""

    kind: str
    op: str
    id: str = ""
    version: int = 0
    by: str = ""


def parse(payload: str) -> Change:
    try:
        data = json.loads(payload)
        return Change(str(data["kind"]), str(data["op"]), str(data.get("id", "")), int(data.get("version", 0)),
                      str(data.get("by", "")))
    except (ValueError, KeyError, TypeError):
        return Change("*", "resync")


class ChangeListener:
    """Listens for changes on one team logbook. One listener per window is plenty."""

    def __init__(
        self, target: TeamTarget, password: str | None, *, poll_s: float = 0.5, max_pause_s: float = 30.0
    ) -> None:
        self.target = target
        self._password = password
        self.poll_s = poll_s
        self.max_pause_s = max_pause_s  # the longest wait between reconnect attempts
        self.ready = threading.Event()  # set once LISTEN is in force (tests wait for it)

    def changes(
        self, stop: threading.Event, *, on_state: StateCallback | None = None, idle: bool = False,
        resync_first: bool = False,
    ) -> Iterator[Change]:
        """Yield changes until ``stop`` is set. ``on_state(listening, problem)`` hears when LISTEN is in force
        (``True, None``) and when the server is lost or cannot be reached (``False, error or None``). With
        ``idle``, a quiet ``poll_s`` after some changes yields ``Change("*", "idle")``: the moment to act on
        a burst of changes at once. With ``resync_first``, the first LISTEN is followed by a ``resync`` too: a
        caller that keeps a copy reads it then, with no gap in which a change could be missed."""
        pause = min(1.0, self.max_pause_s)
        first = True
        while not stop.is_set():
            try:
                conn = connect(self.target, self._password, autocommit=True)
            except TeamConnectError as exc:
                log.warning("change listener: cannot connect (%s); retrying in %.0f s", exc.en, pause)
                if on_state is not None:
                    on_state(False, exc)
                stop.wait(pause)
                pause = min(pause * 2, self.max_pause_s)
                continue
            try:
                conn.execute(f"LISTEN {CHANNEL}")
                self.ready.set()
                if on_state is not None:
                    on_state(True, None)
                if not first or resync_first:
                    yield Change("*", "resync")
                first = False
                pause = min(1.0, self.max_pause_s)
                busy = False
                while not stop.is_set():
                    quiet = True
                    for note in conn.notifies(timeout=self.poll_s):
                        quiet = False
                        busy = True
                        yield parse(note.payload)
                        if stop.is_set():
                            break
                    if idle and quiet and busy:
                        busy = False
                        yield Change("*", "idle")
            except psycopg.OperationalError as exc:
                log.warning("change listener: connection lost (%s); reconnecting", type(exc).__name__)
                self.ready.clear()
                if on_state is not None:
                    on_state(False, None)
            finally:
                conn.close()
