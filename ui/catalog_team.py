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
    "OS のキーリング":
        "the OS keyring",
    "TLS 使用中({protocol})":
        "TLS in use ({protocol})",
    "TLS 未使用(通信は暗号化されていません)":
        "TLS not in use (the connection is not encrypted)",
    "{url} に接続するパスワードを入力してください。\nOS のキーリングに保存します。":
        "Enter the password for {url}.\nIt is kept in the OS keyring.",
    "この PC のモデルを使う":
        "Use this PC's model",
    "この PC のログブックを使っています(ネットワークには接続しません)。":
        "Using this PC's logbook (no network connection).",
    "サーバーの URL を入力してください(例 {example})":
        "Enter the server's URL (e.g. {example})",
    "サーバーのパスワード":
        "Server password",
    "チーム":
        "Team",
    "チームで1つのログブック(PostgreSQL)とモデルサーバーを使います。空欄ならこの PC だけで動きます。":
        "One logbook (PostgreSQL) and one model server for the whole team. Left empty, the app works on this PC alone.",
    "パスフレーズで保護したファイル":
        "a file protected by the passphrase",
    "モデルサーバー(OpenAI 互換)":
        "Model server (OpenAI-compatible)",
    "モデルサーバーの URL を入力してください(例 {example})":
        "Enter the model server's URL (e.g. {example})",
    "モデルサーバーを使う":
        "Use the model server",
    "ログブックのサーバー":
        "Logbook server",
    "保存なし":
        "not stored",
    "回答はこの PC のモデルが書きます。":
        "Answers are written by this PC's model.",
    "回答はモデルサーバー {url} が書きます。":
        "Answers are written by the model server {url}.",
    "接続しています…":
        "Connecting…",
    "接続しました: PostgreSQL {version}、ユーザー {user}、{tls}、sslmode={sslmode}":
        "Connected: PostgreSQL {version}, user {user}, {tls}, sslmode={sslmode}",
    "接続できませんでした。設定は変えていません。":
        "Could not connect. The settings were not changed.",
    "接続を確認して保存…":
        "Check the connection and save…",
    "接続を解除":
        "Disconnect",
    "接続先: {url}(sslmode={sslmode})":
        "Server: {url} (sslmode={sslmode})",
    "現場の声 {notes} 件、問い合わせ {inquiries} 件。パスワードの保存先: {stored}":
        "{notes} floor notes, {inquiries} inquiries. Password stored in: {stored}",
    "設定できませんでした:":
        "Could not set it: ",
    "{who} さんが保存した内容":
        "Saved by {who}",
    "この記録は、開いた後に {who} さんが {when} に保存しています。まだ何も上書きしていません。どちらの内容を残すか選んでください。":
        "{who} saved this record at {when}, after you opened it. Nothing has been overwritten yet. Choose which version to keep.",
    "ほかの PC で先に保存されました":
        "Saved first on another PC",
    "ほかの担当者":
        "another staff member",
    "内容は同じです(対応履歴や保存日時だけが違います)。":
        "The contents are the same (only the follow-ups or the save times differ).",
    "相手の内容を残す":
        "Keep their version",
    "自分の内容(保存しようとした内容)":
        "Mine (what I tried to save)",
    "自分の内容で上書き":
        "Overwrite with mine",
    "自分の内容をクリップボードにコピーしました。":
        "Copied my version to the clipboard.",
    "自分の内容をコピー":
        "Copy mine",
    "項目":
        "Field",
    "発言者":
        "Speaker",
    "想定される影響":
        "Possible consequence",
    "受付方法":
        "Channel",
    "分類(受付時)":
        "Category (when received)",
    "分類(完了時)":
        "Category (when closed)",
    "対応時間(分)":
        "Time spent (min)",
    "モデルサーバー: {name}":
        "Model server: {name}",
    "未接続":
        "Not connected",
    "接続中…":
        "Connecting…",
    "接続できています":
        "Connected",
    "接続できません":
        "Cannot connect",
    "{url}(設定ページの「チーム」で変更できます)":
        "{url} (change it under Team on the Settings page)",
    "チームの記録・プロンプト集・検索履歴はサーバーにあり、サーバーの pg_dump でバックアップします。":
        "The team's records, prompt library and search log are on the server and backed up there (pg_dump).",
}
register(CATALOG)
