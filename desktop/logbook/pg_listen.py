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
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from desktop.logbook.pg_connect import TeamConnectError, TeamTarget, connect
from desktop.logbook.pg_schema import CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """``kind``: notes / inquiries / categories / places, or ``*`` (reload everything);
    ``op``: insert / update / delete / resync; ``by``: the login role that made the change."""

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

    def __init__(self, target: TeamTarget, password: str | None, *, poll_s: float = 0.5) -> None:
        self.target = target
        self._password = password
        self.poll_s = poll_s
        self.ready = threading.Event()  # set once LISTEN is in force (tests wait for it)

    def changes(self, stop: threading.Event) -> Iterator[Change]:
        pause = 1.0
        first = True
        while not stop.is_set():
            try:
                conn = connect(self.target, self._password, autocommit=True)
            except TeamConnectError as exc:
                log.warning("change listener: cannot connect (%s); retrying in %.0f s", exc.en, pause)
                stop.wait(pause)
                pause = min(pause * 2, 30.0)
                continue
            try:
                conn.execute(f"LISTEN {CHANNEL}")
                self.ready.set()
                if not first:
                    yield Change("*", "resync")
                first = False
                pause = 1.0
                while not stop.is_set():
                    for note in conn.notifies(timeout=self.poll_s):
                        yield parse(note.payload)
                        if stop.is_set():
                            break
            except psycopg.OperationalError as exc:
                log.warning("change listener: connection lost (%s); reconnecting", type(exc).__name__)
                self.ready.clear()
            finally:
                conn.close()
