"""設定 page, チーム section: the team logbook's server (URL, 接続, sslmode, 解除) and the team's model server.

Everything that talks to a server runs in a worker through :class:`desktop.services.Services`
(``connect_team``, ``disconnect_team``, ``set_model_server``); the password is asked in a dialog and handed
to ``desktop/`` code, which keeps it in the OS keyring. No SQL here.

Signals: ``teamChanged()`` after the app switched logbook (connected or disconnected).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton, QWidget

from desktop.logbook.pg_connect import TeamTarget
from desktop.secrets import SecretsError
from desktop.services import Services, TeamConnection
from ui import catalog_team  # noqa: F401 — registers the English strings
from ui.errors import describe
from ui.i18n import t
from ui.pages import card, muted, section_title
from ui.workers import workers

log = logging.getLogger(__name__)

URL_EXAMPLE = "postgresql://tanaka@192.168.1.20:5432/soumu"
MODEL_URL_EXAMPLE = "http://192.168.1.20:8080"


class TeamSection(QWidget):
    """The チーム card. Signals: ``teamChanged()``."""

    teamChanged = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        frame, box = card(self)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        box.addWidget(section_title(t("チーム")))
        box.addWidget(muted(t("チームで1つのログブック(PostgreSQL)とモデルサーバーを使います。空欄ならこの PC だけで動きます。")))

        box.addWidget(QLabel(t("ログブックのサーバー")))
        self.url = QLineEdit(services.settings.team.url)
        self.url.setPlaceholderText(URL_EXAMPLE)
        box.addWidget(self.url)
        buttons = QHBoxLayout()
        self.connect_button = QPushButton(t("接続を確認して保存…"))
        self.connect_button.clicked.connect(self.ask_and_connect)
        self.disconnect_button = QPushButton(t("接続を解除"))
        self.disconnect_button.clicked.connect(self.disconnect_team)
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.team_state = muted("")
        box.addWidget(self.team_state)

        box.addWidget(QLabel(t("モデルサーバー(OpenAI 互換)")))
        self.model_url = QLineEdit(services.settings.model.server_url if services.settings.model.uses_server() else "")
        self.model_url.setPlaceholderText(MODEL_URL_EXAMPLE)
        box.addWidget(self.model_url)
        mrow = QHBoxLayout()
        self.model_button = QPushButton(t("モデルサーバーを使う"))
        self.model_button.clicked.connect(self.use_model_server)
        self.local_model_button = QPushButton(t("この PC のモデルを使う"))
        self.local_model_button.clicked.connect(lambda: self._set_model_server(""))
        mrow.addWidget(self.model_button)
        mrow.addWidget(self.local_model_button)
        mrow.addStretch(1)
        box.addLayout(mrow)
        self.model_state = muted("")
        box.addWidget(self.model_state)
        self.refresh()

    # -- state ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        s = self.services.settings
        self.disconnect_button.setEnabled(self.services.team_mode)
        if not self.services.team_mode:
            self.team_state.setText(t("この PC のログブックを使っています(ネットワークには接続しません)。"))
        else:
            self.team_state.setText(self._team_text(s.team.url))
        self.local_model_button.setEnabled(s.model.uses_server())
        if s.model.uses_server():
            self.model_state.setText(t("回答はモデルサーバー {url} が書きます。", url=s.model.server_url))
        else:
            self.model_state.setText(t("回答はこの PC のモデルが書きます。"))

    def _team_text(self, url: str) -> str:
        state = self.services.team_state()
        sslmode = _sslmode(url)
        text = t("接続先: {url}(sslmode={sslmode})", url=url, sslmode=sslmode)
        if state is not None and not state.online:
            text += "\n" + t("サーバーに接続できません")
        # the バックアップ card below backs up this PC's copy only: say where the team's records are kept safe
        text += "\n" + t("チームの記録・プロンプト集・検索履歴はサーバーにあり、サーバーの pg_dump でバックアップします。")
        return text

    # -- the logbook server -----------------------------------------------------------------------
    def ask_and_connect(self) -> None:
        url = self.url.text().strip()
        if not url:
            self.team_state.setText(t("サーバーの URL を入力してください(例 {example})", example=URL_EXAMPLE))
            return
        try:
            _target, in_url = TeamTarget.parse(url)
        except SecretsError as exc:
            self.team_state.setText(describe(exc))
            return
        password: str | None = None
        if in_url is None:
            text, ok = QInputDialog.getText(
                self, t("サーバーのパスワード"), t("{url} に接続するパスワードを入力してください。\nOS のキーリングに保存します。", url=url),
                QLineEdit.EchoMode.Password,
            )
            if not ok:
                return
            password = text or None
        self.connect_to(url, password)

    def connect_to(self, url: str, password: str | None) -> None:
        """Check and save in a worker (tests call this directly; the button asks for the password first)."""
        self._busy(True)
        self.team_state.setText(t("接続しています…"))
        workers().run("team-connect", lambda: self.services.connect_team(url, password),
                      success=self._connected, failure=self._failed, owner=self)

    def _connected(self, result: TeamConnection) -> None:
        self._busy(False)
        st = result.status
        self.url.setText(self.services.settings.team.url)  # the URL as kept: never with a password
        tls = t("TLS 使用中({protocol})", protocol=st.ssl_protocol) if st.ssl_in_use else t("TLS 未使用(通信は暗号化されていません)")
        stored = {"keyring": t("OS のキーリング"), "passphrase": t("パスフレーズで保護したファイル")}.get(
            result.password_stored_in, t("保存なし")
        )
        self.team_state.setText(
            t("接続しました: PostgreSQL {version}、ユーザー {user}、{tls}、sslmode={sslmode}", version=st.server_version,
              user=st.user, tls=tls, sslmode=st.sslmode)
            + "\n" + t("現場の声 {notes} 件、問い合わせ {inquiries} 件。パスワードの保存先: {stored}",
                       notes=result.counts["notes"], inquiries=result.counts["inquiries"], stored=stored)
        )
        self.disconnect_button.setEnabled(True)
        self.teamChanged.emit()

    def disconnect_team(self) -> None:
        self._busy(True)
        workers().run("team-disconnect", self.services.disconnect_team, success=self._disconnected,
                      failure=self._failed, owner=self)

    def _disconnected(self, _result: Any) -> None:
        self._busy(False)
        self.refresh()
        self.teamChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        log.warning("team settings: %s", type(exc).__name__)
        self.team_state.setText(t("接続できませんでした。設定は変えていません。") + "\n" + describe(exc))

    def _busy(self, busy: bool) -> None:
        self.connect_button.setEnabled(not busy)
        self.disconnect_button.setEnabled(not busy and self.services.team_mode)

    # -- the model server -------------------------------------------------------------------------
    def use_model_server(self) -> None:
        url = self.model_url.text().strip()
        if not url:
            self.model_state.setText(t("モデルサーバーの URL を入力してください(例 {example})", example=MODEL_URL_EXAMPLE))
            return
        self._set_model_server(url)

    def _set_model_server(self, url: str) -> None:
        def done(kept: str) -> None:
            self.model_url.setText(kept)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.model_state.setText(t("設定できませんでした:") + describe(exc))

        workers().run("model-server", lambda: self.services.set_model_server(url), success=done, failure=failed,
                      owner=self)


def _sslmode(url: str) -> str:
    """The sslmode the URL asks for; libpq's default ``prefer`` (TLS whenever the server offers it) otherwise."""
    try:
        target, _ = TeamTarget.parse(url)
    except SecretsError:
        return "?"
    return str(target.params.get("sslmode", "prefer"))
