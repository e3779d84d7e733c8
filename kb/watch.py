"""Keep the index current while the app runs: file events in, debounced, coalesced, applied by one worker.

- Local folders use watchdog's native observer (inotify, FSEvents, ReadDirectoryChangesW). Network shares
  (SMB/NFS mounts, UNC paths, mapped drives, WSL's Windows drives) deliver no events, so they are polled.
- Events only mark a path as *dirty*; the worker applies it once no event touched it for ``debounce`` seconds
  and its size and mtime stopped changing, so a file still being copied is retried later, not half-indexed,
  and an editor's save burst (write temp, rename, chmod) costs one update. Deletions and the old side of a
  rename are applied at once.
- The worker thread is the writer; searches from other threads keep working (WAL, one connection per thread).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

import psutil
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from kb.indexer import Indexer
from kb.store import Store

log = logging.getLogger(__name__)

NETWORK_FSTYPES = frozenset(
    {
        "cifs", "smb", "smbfs", "smb2", "smb3", "nfs", "nfs4", "afpfs", "afp", "ncpfs", "9p", "drvfs", "davfs",
        "webdav", "sshfs", "fuse.sshfs", "fuse.davfs2", "fuse.rclone", "glusterfs", "ceph", "fuse.smbnetfs",
    }
)
_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})
MAX_LOCKED_RETRIES = 40


def is_network_path(path: str | os.PathLike[str]) -> bool:
    """True for folders on a network share, where file events do not arrive and polling is needed."""
    text = os.fspath(path)
    if text.startswith(("\\\\", "//")):
        return True
    if os.name == "nt":
        try:
            import ctypes

            drive = os.path.splitdrive(os.path.abspath(text))[0] + "\\"
            return int(ctypes.windll.kernel32.GetDriveTypeW(drive)) == 4  # type: ignore[attr-defined]  # DRIVE_REMOTE
        except (AttributeError, OSError, ValueError):
            return False
    try:
        real = os.path.realpath(text)
        best: tuple[int, str] | None = None
        for part in psutil.disk_partitions(all=True):
            mount = part.mountpoint.rstrip("/") or "/"
            inside = real == mount or real.startswith(mount.rstrip("/") + "/") or mount == "/"
            if inside and (best is None or len(mount) > best[0]):
                best = (len(mount), part.fstype.lower())
    except (OSError, RuntimeError):
        return False
    return best is not None and (best[1] in NETWORK_FSTYPES or best[1].startswith("fuse.sshfs"))


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        src = os.fsdecode(event.src_path)
        if event.event_type == "deleted":
            self.watcher.mark(src, at_once=True)
        elif event.event_type == "moved":
            self.watcher.mark(src, at_once=True)
            self.watcher.mark(os.fsdecode(event.dest_path), at_once=True)
        elif event.is_directory and event.event_type == "modified":
            return  # a folder's mtime changes with every file in it; the files report themselves
        else:
            self.watcher.mark(src)


class Watcher:
    """Watches the sources and applies changes to the index until :meth:`stop`.

    ``on_change(paths)`` is called from the worker thread after the index changed for those paths.
    """

    def __init__(
        self,
        store: Store,
        indexer: Indexer,
        sources: list[tuple[int, str]],
        on_change: Callable[[list[str]], None] | None = None,
        debounce: float = 0.3,
        poll_network_shares: bool = True,
        poll_interval: float = 2.0,
        force_polling: bool = False,
    ) -> None:
        self.store = store
        self.indexer = indexer
        self.on_change = on_change
        self.debounce = debounce
        self._pending: dict[str, tuple[float, tuple[int, int] | None, int]] = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.polled: list[str] = []
        self._force_polling = force_polling
        self._poll_network_shares = poll_network_shares
        self._handler = _Handler(self)
        self._native: BaseObserver = Observer()
        self._polling: BaseObserver = PollingObserver(timeout=poll_interval)
        self._observers = [self._native, self._polling]
        self._watches: dict[str, tuple[BaseObserver, ObservedWatch]] = {}
        self._roots_lock = threading.Lock()
        self.sources: list[tuple[int, str]] = []
        for source_id, root in sources:
            self.add_root(source_id, root)
        self._worker = threading.Thread(target=self._run, name="kb-watch", daemon=True)

    def add_root(self, source_id: int, root: str) -> bool:
        """Start watching one more source folder (also while running); False if it is not available."""
        with self._roots_lock:
            if root in self._watches:
                return True
            if not os.path.isdir(root):
                log.warning("watch: source folder not available: %s", root)
                return False
            if self._force_polling or (self._poll_network_shares and is_network_path(root)):
                observer = self._polling
                self.polled.append(root)
            else:
                observer = self._native
            try:
                watch = observer.schedule(self._handler, root, recursive=True)
            except OSError as exc:  # e.g. the inotify watch limit: fall back to polling this folder
                log.warning("watch: cannot watch %s for events (%s); polling it instead", root, exc)
                observer = self._polling
                watch = observer.schedule(self._handler, root, recursive=True)
                self.polled.append(root)
            self._watches[root] = (observer, watch)
            self.sources = [*self.sources, (source_id, root)]  # swapped whole: the worker reads it unlocked
            return True

    def remove_root(self, root: str) -> None:
        """Stop watching a source folder (its pending changes are dropped)."""
        with self._roots_lock:
            entry = self._watches.pop(root, None)
            if entry is not None:
                observer, watch = entry
                with contextlib.suppress(KeyError, OSError):
                    observer.unschedule(watch)
            self.sources = [(sid, r) for sid, r in self.sources if r != root]
            if root in self.polled:
                self.polled.remove(root)
        prefix = root.rstrip("/\\") + os.sep
        with self._cond:
            for path in [p for p in self._pending if p == root or p.startswith(prefix)]:
                del self._pending[path]

    def start(self) -> Watcher:
        for observer in self._observers:
            observer.start()
        self._worker.start()
        return self

    @property
    def running(self) -> bool:
        return self._worker.is_alive() and not self._stop.is_set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching and wait for the worker (pending changes not yet due are dropped)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for observer in self._observers:
            observer.stop()
        for observer in self._observers:
            if observer.is_alive():
                observer.join(timeout)
        if self._worker.is_alive() and self._worker is not threading.current_thread():
            self._worker.join(timeout)

    def mark(self, path: str, at_once: bool = False) -> None:
        """Note that ``path`` changed; it is applied once it has been quiet for ``debounce`` seconds."""
        due = time.monotonic() + (0.0 if at_once else self.debounce)
        stamp = None if at_once else _stat(path)
        with self._cond:
            previous = self._pending.get(path)
            if previous is not None and at_once:
                due = min(due, previous[0])
            self._pending[path] = (due, stamp, previous[2] if previous else 0)
            self._cond.notify_all()

    def _take_due(self) -> list[str]:
        """Wait for paths that are due and stable; re-arm the ones still changing.

        The file checks (stat, open) run outside the lock, so a slow share never holds up the observers.
        """
        with self._cond:
            while not self._stop.is_set():
                now = time.monotonic()
                due = {p: self._pending.pop(p) for p, (t, _, _) in list(self._pending.items()) if t <= now}
                if due:
                    break
                wait = min((t for t, _, _ in self._pending.values()), default=now + 1.0) - now
                self._cond.wait(max(0.01, min(wait, 1.0)))
            else:
                return []
        ready: list[str] = []
        retry: dict[str, tuple[float, tuple[int, int] | None, int]] = {}
        for path, (_, stamp, tries) in due.items():
            current = _stat(path)
            if stamp is not None and current is not None and current != stamp:
                retry[path] = (now + self.debounce, current, tries)  # still being written: let it settle
            elif current is not None and tries < MAX_LOCKED_RETRIES and os.path.isfile(path) and not _readable(path):
                retry[path] = (now + max(self.debounce, 0.5), current, tries + 1)  # locked by its writer
            else:
                ready.append(path)
        if retry:
            with self._cond:
                for path, entry in retry.items():
                    self._pending.setdefault(path, entry)  # a newer event for the path wins
        return ready

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                ready = self._take_due()
                if not ready:
                    continue
                try:
                    changed = self.indexer.update_paths(sorted(ready), self.sources)
                except Exception:  # the watcher must survive a bad moment (disk full, share gone)
                    log.exception("watch: updating the index failed; will retry on the next change")
                    continue
                if changed and self.on_change is not None:
                    try:
                        self.on_change(changed)
                    except Exception:
                        log.exception("watch: on_change callback failed")
        finally:
            self.store.close_thread()


def _readable(path: str) -> bool:
    try:
        with open(path, "rb"):
            return True
    except PermissionError:
        return False
    except OSError:
        return True  # vanished or other trouble: let the indexer record what it is

