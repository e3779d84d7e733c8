"""The demo logbook offer on the 現場の声 / 問い合わせ / 分析 pages (see :mod:`desktop.demo_logbook`).

One small widget per page, above its content: on an empty logbook it offers 「デモデータを読み込む」; while
demo records are in the logbook it is a banner with 「デモデータを削除」; otherwise it is hidden. Loading and
removing run in a worker; every page hears about it through :func:`demo_events` and reloads.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

import ui.dialogs as common
from ui import catalog_demo  # noqa: F401 — registers the English strings
from ui.i18n import t
from ui.workers import workers

log = logging.getLogger(__name__)

OFFER_STYLE = (
    "QFrame#demoOffer { background: #ffffff; border: 1px dashed #2f6f8f; border-radius: 10px; }"
    "QFrame#demoBanner { background: #fff4d6; border: 1px solid #e6c66a; border-radius: 8px; }"
)


class DemoEvents(QObject):
    """Signals: ``changed()`` after the demo records were loaded or removed (on any page)."""

    changed = Signal()


_events: DemoEvents | None = None


def demo_events() -> DemoEvents:
    global _events
    app = QCoreApplication.instance()
    if _events is None or _events.parent() is not app:
        _events = DemoEvents(app)
    return _events


def _status(services: Any) -> Any:
    from desktop import demo_logbook

    return demo_logbook.status(services.logbook)


def _load(services: Any) -> Any:
    from desktop import demo_logbook

    demo_logbook.load(services.logbook)
    return demo_logbook.status(services.logbook)


def _remove(services: Any) -> Any:
    from desktop import demo_logbook

    demo_logbook.remove(services.logbook)
    return demo_logbook.status(services.logbook)


class DemoOffer(QWidget):
    """The offer (empty logbook) or the banner (demo records present); hidden otherwise.

    Signals: ``changed()`` after this widget loaded or removed the demo records.
    """

    changed = Signal()

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.status: Any = None
        self._job: Any = None
        self.setStyleSheet(OFFER_STYLE)

        self.offer = QFrame()
        self.offer.setObjectName("demoOffer")
        offer_layout = QHBoxLayout(self.offer)
        offer_layout.setContentsMargins(16, 12, 16, 12)
        texts = QVBoxLayout()
        title = QLabel(t("まずはデモデータで試せます"))
        title.setObjectName("sectionTitle")
        self.offer_text = QLabel(t(
            "架空の会社「株式会社みどり精工」の現場の声と問い合わせを読み込み、記録・分析の画面を"
            "実際のデータで確かめられます。サンプルデータなので、いつでも「デモデータを削除」で"
            "まとめて消せます（あなたの記録は消えません）。"
        ))
        self.offer_text.setObjectName("muted")
        self.offer_text.setWordWrap(True)
        texts.addWidget(title)
        texts.addWidget(self.offer_text)
        self.load_button = QPushButton(t("デモデータを読み込む"))
        self.load_button.setObjectName("primary")
        self.load_button.clicked.connect(self.load)
        offer_layout.addLayout(texts, 1)
        offer_layout.addWidget(self.load_button)

        self.banner = QFrame()
        self.banner.setObjectName("demoBanner")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(12, 6, 8, 6)
        self.banner_text = QLabel("")
        self.banner_text.setWordWrap(True)
        self.remove_button = QPushButton(t("デモデータを削除"))
        self.remove_button.setToolTip(t("デモデータだけを削除します。あなたが記録したものは残ります"))
        self.remove_button.clicked.connect(self.remove)
        banner_layout.addWidget(self.banner_text, 1)
        banner_layout.addWidget(self.remove_button)

        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.offer)
        layout.addWidget(self.banner)
        layout.addWidget(self.error)
        self._show(None)
        demo_events().changed.connect(self.refresh)

    def refresh(self) -> Any:
        """Ask the logbook (in a worker) whether it is empty or holds demo records."""
        return self._start("demo-status", lambda: _status(self.services))

    def load(self) -> Any:
        self.load_button.setEnabled(False)
        self.load_button.setText(t("読み込んでいます…"))
        return self._start("demo-load", lambda: _load(self.services), changed=True)

    def remove(self) -> Any:
        self.remove_button.setEnabled(False)
        return self._start("demo-remove", lambda: _remove(self.services), changed=True)

    def _start(self, name: str, op: Any, changed: bool = False) -> Any:
        if self._job is not None and changed:
            self._job.cancel()
        self._job = workers().run(
            name, op, success=lambda s: self._done(s, changed), failure=self._failed, owner=self
        )
        return self._job

    def _done(self, status: Any, changed: bool) -> None:
        self._job = None
        self.error.setVisible(False)
        self._show(status)
        if changed:
            self.changed.emit()
            demo_events().changed.emit()

    def _failed(self, exc: BaseException) -> None:
        self._job = None
        self.load_button.setEnabled(True)
        self.remove_button.setEnabled(True)
        self.load_button.setText(t("デモデータを読み込む"))
        log.info("demo logbook: %s", type(exc).__name__)
        self.error.setText(t("デモデータを扱えませんでした：") + common.describe(exc))
        self.error.setVisible(True)

    def _show(self, status: Any) -> None:
        self.status = status
        # team mode: fictional records are never offered into the team's shared logbook (the banner stays, so
        # demo records that came in with `team migrate` can be removed)
        empty = status is not None and status.empty and not self.services.team_mode
        loaded = status is not None and status.loaded
        self.offer.setVisible(empty)
        self.banner.setVisible(loaded)
        self.load_button.setEnabled(True)
        self.load_button.setText(t("デモデータを読み込む"))
        self.remove_button.setEnabled(True)
        if loaded:
            self.banner_text.setText(t(
                "デモデータを表示中です（現場の声 {notes} 件・問い合わせ {inquiries} 件、架空の会社のサンプル）。",
                notes=status.demo.notes, inquiries=status.demo.inquiries,
            ))
        self.error.setVisible(False)
        self.setVisible(empty or loaded)

    def teardown(self) -> None:
        if self._job is not None:
            self._job.close()
