"""The 分析 page with its AI panel at scale: the longest UI-thread stall while themes compute and the panel fills.

Run by hand (never by pytest)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/insights_ui_bench.py [--notes 100000]

A logbook with ``--notes`` generated notes (``insights_eval.generated_notes``: planted paraphrases, varied places,
noise) in a real encrypted logbook file; the real 分析 page (``ui.pages.insights.InsightsPage``) is shown and
activated, as when the user opens it. A 10 ms QTimer heartbeat on the UI thread (``ui_bench.Heartbeat``) records
the gaps between its ticks (and ``app_cpu_s``, the CPU time of the app's own process in the phase, a child's excluded):

1. **first reading** — themes computed from scratch (in the analysis child process,
   ``desktop.insights_process``), then the charts and the panel filled;
2. **a new note** — one note added (in a worker, as the app saves it), the page refreshed (incremental reading),
   the panel filled again;
3. **a new session** — a second page (its own analysis, as after a restart) reads the saved model and fills;
4. **editing the narrative** — 20 keystrokes in the findings editor (each checks numbers and IDs on the UI thread);
5. **中止** — everything clustered again, 中止 pressed 3 s in: how long until the page is idle, results kept.

Before phase 3, the second page is shown on its own (``new_page_shown``: its first layout and paint, no data).

Besides the heartbeat, the time spent in the panel's own UI-thread slots (``_show``, ``_narrative_changed``)
is measured, so a stall can be told apart from the worker's GIL use; a canary process that only sleeps says
whether the machine was late at the same moments (``stalls_over_100ms_canary_late_too``); after each phase, what a full cycle collection
would cost the UI thread (``full_gc_ms``, over ``gc_tracked`` objects: the collector runs on the UI thread, and a
heap holding the analysis made it the cause of the occasional ~1 s stalls on a loaded machine).
Target: longest stall < 100 ms.
Writes ``benchmarks/out/insights_ui_bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402

from benchmarks.insights_eval import generated_notes  # noqa: E402
from benchmarks.logbook_bench import _MemoryKeyring  # noqa: E402
from benchmarks.ui_bench import Heartbeat, machine, pump  # noqa: E402


class SlotTimer:
    """Wall time of each call of a method (wrapped on the instance), the slot's own UI-thread cost;
    ``profile`` also prints where that time went (cProfile, top 25 by cumulative time)."""

    def __init__(self, obj: Any, name: str, profile: bool = False) -> None:
        self.calls: list[float] = []
        self.name = name
        self.spans: list[tuple[float, float]] = []  # (start, end) wall clock
        original: Callable[..., Any] = getattr(obj, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            import cProfile
            import pstats

            profiler = cProfile.Profile() if profile else None
            t0, w0 = time.perf_counter(), time.time()
            try:
                if profiler is not None:
                    return profiler.runcall(original, *args, **kwargs)
                return original(*args, **kwargs)
            finally:
                self.calls.append(time.perf_counter() - t0)
                self.spans.append((w0, time.time()))
                if profiler is not None:
                    print(f"--- {name}: {self.calls[-1] * 1000:.1f} ms", file=sys.stderr)
                    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)

        setattr(obj, name, timed)

    def summary(self) -> dict[str, Any]:
        return {"calls": len(self.calls), "max_ms": round(max(self.calls, default=0.0) * 1000, 1)}


class StallTracer:
    """When the UI thread has not ticked for ``after`` seconds, record what it is running (its Python stack):
    the stall's cause, whether the UI thread's own work or a wait for the GIL another thread holds."""

    def __init__(self, beat: Heartbeat, after: float = 0.05) -> None:
        import threading

        self.beat, self.after = beat, after
        self.samples: dict[str, int] = {}
        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-tracer", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import threading
        import traceback

        while not self._stop.wait(0.01):
            if self.beat.timer.isActive() and time.perf_counter() - self.beat._last > self.after:
                frames = sys._current_frames()
                me = threading.get_ident()
                names = {t.ident: t.name for t in threading.enumerate()}
                stack = ""
                for ident, frame in sorted(frames.items(), key=lambda kv: kv[0] != self._main):
                    if ident == me:
                        continue
                    lines = "".join(traceback.format_stack(frame, limit=4)[-4:])
                    stack += f"--- {names.get(ident, ident)}:\n{lines}"
                self.samples[stack] = self.samples.get(stack, 0) + 1

    def stop(self) -> list[tuple[int, str]]:
        self._stop.set()
        self._thread.join()
        return sorted(((n, s) for s, n in self.samples.items()), reverse=True)


class StampedHeartbeat(Heartbeat):
    """The heartbeat, also keeping when each gap over 50 ms happened (wall clock), to compare with the canary."""

    def __init__(self) -> None:
        super().__init__()
        self.late: list[tuple[float, float]] = []  # (start, end) in time.time()
        self.cpu: list[tuple[float, float]] = []  # per late gap: CPU seconds of the UI thread, of the whole app
        self._cpu_last = (time.thread_time(), time.process_time())

    def start(self) -> None:
        self.late.clear()
        self.cpu.clear()
        self._cpu_last = (time.thread_time(), time.process_time())
        super().start()

    def _tick(self) -> None:
        gap = time.perf_counter() - self._last
        cpu = (time.thread_time(), time.process_time())
        super()._tick()
        if gap > 0.05:
            now = time.time()
            self.late.append((now - gap, now))
            self.cpu.append((cpu[0] - self._cpu_last[0], cpu[1] - self._cpu_last[1]))
        self._cpu_last = cpu


CANARY = """
import sys, time
while True:
    t0 = time.time(); time.sleep(0.01); gap = time.time() - t0
    if gap > 0.05:
        print(f"{t0:.4f} {t0 + gap:.4f}", flush=True)
"""


class Canary:
    """Another process that only sleeps 10 ms at a time (no GIL, no work of ours) and reports its late wake-ups:
    when the app's UI thread is late at the same moment, the machine (CPU shared with other jobs) held both."""

    def __init__(self) -> None:
        import subprocess
        import threading

        self.late: list[tuple[float, float]] = []
        self._proc = subprocess.Popen([sys.executable, "-c", CANARY], stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, name="canary-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            start, end = (float(x) for x in line.split())
            self.late.append((start, end))

    def compare(self, beat: StampedHeartbeat, since: float, until: float) -> dict[str, Any]:
        mine = [(a, b) for a, b in self.late if b >= since and a <= until]
        stalls = [(a, b) for a, b in beat.late if b - a > 0.11]  # stalls over 100 ms (a 10 ms tick, late)
        both = sum(1 for a, b in stalls if any(c < b and d > a for c, d in mine))
        return {"canary_max_gap_ms": round(max((b - a for a, b in mine), default=0.0) * 1000, 1),
                "stalls_over_100ms_canary_late_too": f"{both}/{len(stalls)}"}

    def stop(self) -> None:
        self._proc.kill()
        self._proc.wait()


class Timeline:
    """With ``--trace``: what happened on the UI thread, stamped (wall clock), to lay beside the heartbeat's late
    ticks — cycle collections over 5 ms (``gc.callbacks``), the timed slots, and with ``--qt-events`` the Qt events
    whose delivery took over 20 ms (``QApplication.notify``, receiver and event type)."""

    def __init__(self) -> None:
        import gc
        import threading

        self.events: list[tuple[float, float, str]] = []  # (start, end, what)
        self._gc_start = 0.0
        self._main = threading.main_thread().ident
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.time()
        elif time.time() - self._gc_start > 0.005:
            import threading

            where = "UI" if threading.get_ident() == self._main else threading.current_thread().name
            self.events.append((self._gc_start, time.time(),
                                f"gc gen {info['generation']} on {where} (collected {info['collected']})"))

    def app_class(self) -> Any:
        from PySide6.QtWidgets import QApplication

        timeline = self

        class TimedApplication(QApplication):
            def notify(self, receiver: Any, event: Any) -> bool:
                t0 = time.time()
                try:
                    return super().notify(receiver, event)
                finally:
                    t1 = time.time()
                    if t1 - t0 > 0.02:
                        name = f"{type(receiver).__name__} {receiver.objectName()}".strip()
                        timeline.events.append((t0, t1, f"Qt {event.type().name} → {name}"))

        return TimedApplication

    def print_window(self, title: str, beat: StampedHeartbeat, since: float, until: float,
                     slots: tuple[SlotTimer, ...] = ()) -> None:
        rows = [(a, b, f"UI thread late (heartbeat); CPU meanwhile: UI thread {ui * 1000:.0f} ms, "
                       f"whole app {app * 1000:.0f} ms")
                for (a, b), (ui, app) in zip(beat.late, beat.cpu, strict=True) if b >= since and a <= until]
        rows += [(a, b, f"slot {slot.name}") for slot in slots for a, b in slot.spans if b >= since and a <= until]
        rows += [(a, b, what) for a, b, what in self.events if b >= since and a <= until]
        print(f"=== timeline of {title} (ms from its start; UI-thread events over 20 ms, collections over 5 ms)",
              file=sys.stderr)
        for a, b, what in sorted(rows):
            print(f"{(a - since) * 1000:9.1f} {(b - a) * 1000:7.1f} ms  {what}", file=sys.stderr)


def full_gc() -> dict[str, Any]:
    """One full cycle collection on the UI thread now, timed, and how many objects it walked."""
    import gc

    tracked = len(gc.get_objects())
    t0 = time.perf_counter()
    gc.collect()
    return {"gc_tracked": tracked, "full_gc_ms": round((time.perf_counter() - t0) * 1000, 1)}


def run(n_notes: int, profile: bool = False, trace: bool = False, freeze: bool = True,
        qt_events: bool = False) -> dict[str, Any]:
    import gc

    from desktop.context import Context
    from desktop.logbook import Note
    from desktop.services import Services
    from ui.i18n import set_language
    from ui.main import UiThreadGarbageCollector, application
    from ui.pages.insights import InsightsPage
    from ui.workers import shutdown_workers, workers

    tmp = Path(tempfile.mkdtemp(prefix="insights-ui-bench-"))
    try:
        ctx = Context.open(tmp / "home")
        ctx.settings.model.active = str(tmp / "none.gguf")  # the panel without a model: keyword labels
        ctx.settings.kb.watch = False
        ctx.save_settings()
        services = Services(ctx)
        t0 = time.perf_counter()
        rows = generated_notes(n_notes)
        for i in range(0, len(rows), 10_000):  # the import path: one transaction per 10,000
            services.logbook.notes.merge(rows[i : i + 10_000])
        insert_s = time.perf_counter() - t0
        del rows  # 300,000 objects of the bench's own, which the app would not hold (each full collection walked them)

        set_language("ja")
        timeline = Timeline() if trace else None
        if timeline is not None and qt_events:
            from PySide6.QtWidgets import QApplication

            if QApplication.instance() is None:
                timeline.app_class()(sys.argv[:1])
        app = application()
        collector = UiThreadGarbageCollector(app)
        collections = SlotTimer(collector, "collect")  # the cycle collector runs on the UI thread too
        collector._timer.timeout.disconnect()
        collector._timer.timeout.connect(collector.collect)
        page = InsightsPage(services)
        page.resize(1360, 900)
        page.month.setDate(page.month.date().fromString("2026-12", "yyyy-MM"))
        page.show()
        reading = page.reading
        show = SlotTimer(reading, "_show", profile)
        beat = StampedHeartbeat()
        tracer = StallTracer(beat) if trace else None
        canary = Canary()

        def settled() -> bool:
            return not reading.busy() and not workers().active()

        pump(settled, 60)
        if freeze:  # start-up done, as ui.main.run does once the pages' modules are imported
            collector.freeze_startup()
        frozen = gc.get_freeze_count()
        beat.start()  # the idle page, same run: the floor the machine's load sets
        pump(lambda: False, 5)
        beat.stop()
        idle = beat.summary()

        results: dict[str, Any] = {}
        for name, action in (
            ("first_reading", page.activated),
            # saved in a worker, as the app's quick capture does (ui.dialogs.add_note), then the page refreshed
            ("new_note", lambda: workers().run(
                "add-note", lambda: services.logbook.notes.add(Note(text="会議室Aの冷房が寒すぎる", place="本社3F 会議室A",
                                                                    occurred_at="2026-12-04T09:00:00")),
                success=lambda _note: page.refresh())),
        ):
            shown_before = len(show.calls)
            beat.start()
            w0 = time.time()
            t0, cpu0 = time.perf_counter(), time.process_time()
            action()
            pump(lambda n=shown_before: len(show.calls) > n and settled(), 900)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            pump(lambda: False, 0.5)
            beat.stop()
            results[name] = {"seconds": round(seconds, 1), "app_cpu_s": round(cpu, 1),
                             "themes": len(reading.reading.themes),
                             "fill_ms": round(show.calls[-1] * 1000, 1), **beat.summary(),
                             **canary.compare(beat, w0, time.time()), **full_gc()}
            print(name, json.dumps(results[name], ensure_ascii=False), file=sys.stderr, flush=True)
            if timeline is not None:
                timeline.print_window(name, beat, w0, time.time(), (show,))

        # A new session: another page (its own analysis) reads the saved themes model, then what changed.
        second = InsightsPage(services)
        second.resize(1360, 900)
        second.month.setDate(page.month.date())
        beat.start()  # the new page appears (its first layout and paint, no data yet): not the reading
        second.show()
        pump(lambda: False, 0.5)
        beat.stop()
        results["new_page_shown"] = beat.summary()
        again = SlotTimer(second.reading, "_show")
        charts = SlotTimer(second, "_show")  # the page's own charts and tables (not the AI panel)
        beat.start()
        w0, t0 = time.time(), time.perf_counter()
        second.activated()
        activated_ms = (time.perf_counter() - t0) * 1000
        pump(lambda: bool(again.calls) and not second.reading.busy() and not workers().active(), 900)
        seconds = time.perf_counter() - t0
        pump(lambda: False, 0.5)
        beat.stop()
        results["new_session"] = {"seconds": round(seconds, 1), "fill_ms": round(again.calls[-1] * 1000, 1),
                                  "page_fill_ms": charts.summary()["max_ms"], "activated_ms": round(activated_ms, 1),
                                  **beat.summary(), **canary.compare(beat, w0, time.time()), **full_gc()}
        print("new_session", json.dumps(results["new_session"], ensure_ascii=False), file=sys.stderr, flush=True)
        if timeline is not None:
            timeline.print_window("the new session", beat, w0, time.time(), (again, charts))
        second.teardown()
        second.close()

        edit = SlotTimer(reading, "_narrative_changed")
        reading.narrative_edit.textChanged.disconnect()
        reading.narrative_edit.textChanged.connect(reading._narrative_changed)
        reading.tabs.setCurrentIndex(3)
        reading.narrative_edit.setFocus()
        beat.start()
        for _ in range(20):
            reading.narrative_edit.insertPlainText("x")
            pump(lambda: False, 0.05)
        beat.stop()
        results["narrative_typing"] = {**edit.summary(), **beat.summary()}
        print("narrative_typing", json.dumps(results["narrative_typing"], ensure_ascii=False), file=sys.stderr)

        # 中止 while everything is clustered again: how soon the page is idle, with the previous results kept.
        shown = len(reading.reading.themes)
        beat.start()
        w0 = time.time()
        reading.refresh(recompute=True)
        pump(lambda: False, 3.0)
        t0 = time.perf_counter()
        reading.cancel_button.click()
        pump(lambda: not reading.busy() and not workers().active(), 120)
        stopped_s = time.perf_counter() - t0
        pump(lambda: False, 0.5)
        beat.stop()
        results["cancel"] = {"stopped_s": round(stopped_s, 2), "status": reading.status.text(),
                             "themes_kept": len(reading.reading.themes) == shown == reading.themes_table.rowCount(),
                             **beat.summary(), **canary.compare(beat, w0, time.time())}
        print("cancel", json.dumps(results["cancel"], ensure_ascii=False), file=sys.stderr, flush=True)

        if tracer is not None:
            for n, stack in tracer.stop()[:8]:
                print(f"=== {n} samples (10 ms each) of the UI thread stalled > 50 ms:\n{stack}", file=sys.stderr)
        page.teardown()
        page.close()
        shutdown_workers()
        collector.stop()
        canary.stop()
        services.close()
        gc_ms = sorted((round(c * 1000, 1) for c in collections.calls), reverse=True)[:5]
        return {"machine": machine(), "notes": n_notes, "gc_frozen": frozen, "insert_s": round(insert_s, 1),
                "idle": idle, **results,
                "gc_longest_ms": gc_ms}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="print where the panel's fill spends its time")
    parser.add_argument("--trace", action="store_true", help="print what the UI thread ran during stalls")
    parser.add_argument("--qt-events", action="store_true",
                        help="with --trace, also time each Qt event's delivery (a Python QApplication.notify: slower, "
                             "and PySide 6 has failed in it once, with the arguments of a nested call swapped)")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the start-up objects to the collector (code before ui.main's freeze_startup)")
    args = parser.parse_args()
    keyring.set_keyring(_MemoryKeyring())
    result = run(args.notes, args.profile, args.trace, freeze=not args.no_freeze, qt_events=args.qt_events)
    out = REPO / "benchmarks" / "out" / "insights_ui_bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
