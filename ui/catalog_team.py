"""English for team mode's strings (status bar, 設定 page's チーム section, conflict dialog, モデル page's
server); registered on import."""

from ui.i18n import register

CATALOG: dict[str, str] = {
    "チームモード": "Team mode",
    "チームのログブック: {url}": "Team logbook: {url}",
    "チームサーバー接続中": "Connected to the team server",
    "チームのログブック: {url}\nこの PC には最後に読み込んだ記録の暗号化コピーがあります。":
        "Team logbook: {url}\nThis PC keeps an encrypted copy of the records it last loaded.",
    "サーバーに接続できません": "Cannot reach the server",
    "{problem}\n最後に読み込んだ記録を読み取り専用で表示しています。保存や削除はサーバーに接続できてからできます。":
        "{problem}\nShowing the records last loaded, read-only. Saving and deleting work again once the server "
        "is reachable.",
}
register(CATALOG)
