"""English texts for the shell and the 回答 / ナレッジ / モデル / 設定 pages (Japanese is the source)."""

from __future__ import annotations

from ui.i18n import register

CATALOG: dict[str, str] = {
    # shell
    "総務デスク": "Soumu Desk",
    "回答": "Answer",
    "現場の声": "Floor notes",
    "問い合わせ": "Inquiries",
    "分析": "Insights",
    "プロンプト集": "Prompt library",
    "確認のため、もう一度入力してください。": "Type it once more to confirm.",
    "2回の入力が一致しませんでした。もう一度パスフレーズを入力してください(8文字以上)。":
        "The two entries did not match. Enter the passphrase again (8 or more characters).",
    "ナレッジ": "Knowledge",
    "モデル": "Model",
    "設定": "Settings",
    "現場の声をすばやく記録: {keys}": "Capture a floor note quickly: {keys}",
    "この PC の中だけで動きます。ネットワークには接続しません。": "Runs on this PC only. It never connects to the network.",
    "オフライン": "Offline",
    "モデル: なし(抜粋で回答)": "Model: none (answers are excerpts)",
    "モデル: 読み込み中…": "Model: loading…",
    "モデル: 準備完了": "Model: ready",
    "モデル: エラー": "Model: error",
    # logbook key dialogs
    "回復キー(一度だけ表示)": "Recovery key (shown once)",
    "ログブックのパスフレーズ": "Logbook passphrase",
    "この PC には OS のキーリングがないため、記録はパスフレーズで保護します。\nパスフレーズを入力してください(8文字以上)。": (
        "This PC has no OS keyring, so the records are protected by a passphrase.\n"
        "Enter the passphrase (8 characters or more)."
    ),
    "キーリングが消えたときやパスフレーズを忘れたときに、この回復キーで記録を取り戻せます。この画面は二度と表示されません。": (
        "If the keyring is wiped or the passphrase forgotten, this recovery key gets the records back. "
        "This message is never shown again."
    ),
    "記録を開けません": "Cannot open the records",
    "記録の暗号化キーを作成しました。次の回復キーを紙に書くなどして安全に保管してください。": (
        "The records' encryption key was created. Keep this recovery key somewhere safe, on paper for example."
    ),
    # answer page
    "回答を作れませんでした: {error}": "Could not make an answer: {error}",
    "{type} · 更新日 {date}": "{type} · modified {date}",
    "質問やキーワードを入力(例: 慶弔休暇は何日?)— Enter で AI が回答": (
        "Type a question or keywords (e.g. 慶弔休暇は何日?) — Enter for an AI answer"
    ),
    "AIで回答": "Answer with AI",
    "停止": "Stop",
    "コピー": "Copy",
    "この回答は役に立ちましたか?": "Was this answer helpful?",
    "評価をありがとうございました。": "Thank you for rating it.",
    "質問・回答・出典・経過時間を入れた問い合わせ記録を開きます": (
        "Opens an inquiry record filled in with the question, answer, sources and time spent"
    ),
    "役に立った": "Helpful",
    "役に立たない": "Not helpful",
    "問い合わせとして記録": "Log as inquiry",
    "AIモデルを読み込み中です。準備ができるまでは資料の抜粋で回答します。": (
        "The AI model is loading. Until it is ready, answers are excerpts from the documents."
    ),
    "AIモデルを読み込めませんでした(モデル画面で確認できます)。資料の抜粋で回答します。": (
        "The AI model could not be loaded (see the Model page). Answers are excerpts from the documents."
    ),
    "検索結果": "Search results",
    "AIの回答": "AI answer",
    "出典": "Sources",
    "Enter を押すと、見つかった資料をもとに AI が出典つきで回答します。": (
        "Press Enter and the AI answers from the documents found, citing its sources."
    ),
    "「{q}」に一致する資料はありません。": "No document matches “{q}”.",
    "{n} 件 ({ms} ミリ秒)": "{n} results ({ms} ms)",
    "資料に該当する記載が見つかりませんでした。この質問は「分析」画面の「答えられなかった質問」に残ります。": (
        "The documents do not answer this. The question is kept under “Unanswered questions” on the Insights page."
    ),
    "AIモデルがありません。資料の抜粋で回答します。モデル画面で GGUF ファイルを取り込めます。": (
        "No AI model: answers are excerpts from the documents. Import a GGUF file on the Model page."
    ),
    "役に立たなかった理由": "Why it was not helpful",
    "どこが良くなかったか、ひとことで教えてください(任意):": "What was wrong with it, in a few words (optional):",
    "検索できませんでした: {error}": "Search failed: {error}",
    "資料がまだ登録されていない場合は、ナレッジ画面でフォルダを追加してください。": (
        "If no documents are registered yet, add a folder on the Knowledge page."
    ),
    "例: 「慶弔休暇は何日?」「出張の日当」「社用車の予約」": "For example: 慶弔休暇は何日? · 出張の日当 · 社用車の予約",
    "別の言い方や短いキーワードで試してください(例: 「忌引」→「慶弔休暇」)。": (
        "Try other words or shorter keywords (e.g. 忌引 → 慶弔休暇)."
    ),
    "質問を入力して Enter(または「AIで回答」)を押すと、ここに回答が表示されます。": (
        "Type a question and press Enter (or “Answer with AI”); the answer appears here."
    ),
    "回答を作成しています…": "Writing the answer…",
    "(停止しました)": "(stopped)",
    "資料からの抜粋です(AIモデルなし)。": "Excerpt from the documents (no AI model).",
    "規程・マニュアル・FAQ をまとめて検索します。": "Searches the rules, manuals and FAQs all at once.",
    # knowledge page
    "索引: {files} ファイル": "Index: {files} files",
    "検索と回答に使う資料のフォルダです。元のファイルは読み取るだけで、変更・移動はしません。": (
        "The document folders used for search and answers. Files are only read, never changed or moved."
    ),
    "フォルダを追加…": "Add folder…",
    "登録を解除": "Remove",
    "再索引": "Re-index",
    "変更されたファイルだけを読み直します": "Reads again only the files that changed",
    "まだフォルダが登録されていません。「フォルダを追加…」で、規程やマニュアルの入ったフォルダ(共有フォルダも可)を選んでください。": (
        "No folder is registered yet. Use “Add folder…” to choose the folder with your rules and manuals "
        "(a shared folder works too)."
    ),
    "中止": "Cancel",
    "読み込めなかったファイルはありません。": "Every file could be read.",
    "合計 {files} ファイル・{chunks} 区切り(索引 {size})。読み込めなかったファイル {failed} 件。": (
        "{files} files, {chunks} passages in all (index {size}). Files that could not be read: {failed}."
    ),
    "資料のフォルダを選択": "Choose a document folder",
    "このフォルダを検索の対象から外しますか?\n{folder}\n\n(フォルダ内のファイルは削除されません。索引からだけ取り除きます)": (
        "Stop searching this folder?\n{folder}\n\n(The files in it are not deleted; they are only removed from the index.)"
    ),
    "ファイルを確認しています…": "Checking the files…",
    "索引: 更新中…": "Index: updating…",
    "{done} / {total} ファイル  {name}": "{done} / {total} files  {name}",
    "索引: 更新中 {done}/{total}": "Index: updating {done}/{total}",
    "索引を更新できませんでした: {error}": "The index could not be updated: {error}",
    "索引: エラー": "Index: error",
    "索引: {n} 件のファイルを反映しました": "Index: {n} changed files applied",
    "登録フォルダ": "Folders",
    "フォルダ": "Folder",
    "ファイル": "Files",
    "区切り": "Passages",
    "最終索引": "Last indexed",
    "状態": "State",
    "読み込めなかったファイル": "Files that could not be read",
    "壊れている・パスワード付き・形式に未対応などの理由で、検索の対象にならなかったファイルです。": (
        "Files left out of search because they are damaged, password-protected or in an unsupported format."
    ),
    "理由": "Reason",
    "日時": "When",
    "利用可": "Available",
    "見つかりません": "Not found",
    "フォルダの変更を監視しています。追加・更新されたファイルは自動で索引に反映されます。": (
        "Watching the folders: new and changed files are indexed automatically."
    ),
    "ファイルを確認しています… {n}": "Checking the files… {n}",
    "中止しました。次回は続きから読み込みます。": "Cancelled. The next run carries on where this one stopped.",
    "フォルダの監視は開始されていません。「再索引」で最新にできます。": (
        "The folders are not being watched. “Re-index” brings the index up to date."
    ),
    "フォルダの監視は設定でオフです。変更後は「再索引」を押してください。": (
        "Watching is turned off in the settings. Press “Re-index” after changing files."
    ),
    "完了: 追加 {a}・更新 {u}・削除 {r}・変更なし {n}・読めない {f}": (
        "Done: {a} added, {u} updated, {r} removed, {n} unchanged, {f} unreadable"
    ),
    "索引は最新です。": "The index is up to date.",
    # model page
    "回答を書く AI モデル(GGUF 形式)です。すべてこの PC の中で動き、ネットワークには接続しません。": (
        "The AI model (GGUF format) that writes the answers. It runs entirely on this PC and never uses the network."
    ),
    "このモデルを使う": "Use this model",
    "GGUF ファイルを取り込む…": "Import a GGUF file…",
    "モデルがまだありません。右の「おすすめのモデル」から GGUF ファイルを入手し、「GGUF ファイルを取り込む…」で選んでください。モデルがなくても、検索と資料の抜粋による回答は使えます。": (
        "No model yet. Get a GGUF file from “Recommended models” on the right and choose it with "
        "“Import a GGUF file…”. Search and excerpt answers work without a model."
    ),
    "自動": "Automatic",
    "スレッド数": "Threads",
    "コンテキスト長(トークン)": "Context size (tokens)",
    "GPU に載せる層": "Layers on the GPU",
    "温度(低いほど安定)": "Temperature (lower = steadier)",
    "保存して再読み込み": "Save and reload",
    "このアプリはモデルをダウンロードしません。インターネットにつながる PC で下の配布元(Hugging Face)から .gguf ファイルを入手し、USB メモリなどでこの PC に移してから「GGUF ファイルを取り込む…」で選んでください。": (
        "This app downloads nothing. On a PC with internet access, get the .gguf file from the source below "
        "(Hugging Face), bring it to this PC (a USB stick, for example), then choose it with “Import a GGUF file…”."
    ),
    "保存しました。モデルを読み込み直しています…": "Saved. Reloading the model…",
    "取り込む GGUF ファイルを選択": "Choose the GGUF file to import",
    "GGUF モデル (*.gguf)": "GGUF models (*.gguf)",
    "確認しています… {name}": "Checking… {name}",
    "コピー中 {done} / {total}": "Copying {done} / {total}",
    "使用中のモデル": "Active model",
    "この PC にあるモデル": "Models on this PC",
    "ファイル名": "File name",
    "種類": "Kind",
    "大きさ": "Size",
    "動作の設定": "Settings",
    "この llama.cpp は GPU なしでビルドされています": "This llama.cpp was built without GPU support",
    "おすすめのモデル": "Recommended models",
    "モデルなし": "No model",
    "回答は資料の抜粋で作ります。": "Answers are excerpts from the documents.",
    "{name}({arch}・{params}・{quant})/ {size} / 最大コンテキスト {ctx} / ライセンス {license}": (
        "{name} ({arch}, {params}, {quant}) / {size} / max context {ctx} / licence {license}"
    ),
    "デモ": "demo",
    "取り込み済み": "imported",
    "取り込みました: {name}。「このモデルを使う」で切り替えられます。": (
        "Imported: {name}. Switch to it with “Use this model”."
    ),
    "使用中": "In use",
    "使用可": "Usable",
    "取り込みを中止しました。途中のファイルは残っていません。": "Import cancelled. No partial file was left behind.",
    "配布元: {source}": "Source: {source}",
    "ファイル名: {file}": "File: {file}",
    "ライセンス: {license}": "Licence: {license}",
    "ファイル {size} GB・必要メモリ 約 {mem} GB": "File {size} GB · needs about {mem} GB of memory",
    "読み込まれていません": "Not loaded",
    "読み込み中…": "Loading…",
    "準備完了": "Ready",
    "エラー": "Error",
    # settings page
    "表示言語": "Language",
    "問い合わせの受付方法(既定)": "Usual inquiry channel",
    "電話": "Phone",
    "対面": "In person",
    "メール": "Email",
    "チャット": "Chat",
    "その他": "Other",
    " 月": "",
    "年度の始まり": "Fiscal year starts in month",
    "問い合わせ記録の担当者欄に入ります": "Filled in as the staff member on inquiries",
    "担当者名": "Your name",
    "フォルダを開く": "Open folder",
    "ログのフォルダを開く": "Open the logs folder",
    "回復キーで復元…": "Restore with the recovery key…",
    "記録を開く": "Open the records",
    "バックアップはまだありません。": "No backups yet.",
    "今すぐバックアップ": "Back up now",
    "選んだバックアップから復元…": "Restore the selected backup…",
    "鍵は OS のキーリングに保存されています。": "The key is kept in the OS keyring.",
    "回復キーで復元": "Restore with the recovery key",
    "記録を作成したときに表示された回復キーを入力してください(XXXX-XXXX-…):": (
        "Enter the recovery key shown when the records were created (XXXX-XXXX-…):"
    ),
    "鍵を復元しました。記録を開けます。": "The key was restored. The records can be opened.",
    "バックアップを作成しています…": "Creating a backup…",
    "バックアップから復元": "Restore from a backup",
    "記録を次のバックアップの内容に戻します。\n{name}\n\nいまの記録は安全のため別にコピーしてから置き換えます。続けますか?": (
        "The records will be replaced by this backup:\n{name}\n\nThe current records are copied aside first. Continue?"
    ),
    "復元しています…": "Restoring…",
    "全般": "General",
    "表示言語はすぐに切り替わります。年度の始まりは「分析」の集計期間に使います。": (
        "The language changes at once. The fiscal year start sets the periods on the Insights page."
    ),
    "データの保存場所": "Data folder",
    "設定・索引・記録・ログ・バックアップはすべてこのフォルダにあります。場所を変えるには、起動時に --home フォルダ を付けるか、環境変数 {env} にフォルダを指定してください。": (
        "Settings, index, records, logs and backups are all in this folder. To use another one, start the app "
        "with --home FOLDER or set the environment variable {env}."
    ),
    "記録の暗号化": "Record encryption",
    "問い合わせと現場の声は暗号化して保存しています。キーリングが消えたときやパスフレーズを忘れたときは、最初に表示された回復キーで元に戻せます。": (
        "Inquiries and floor notes are stored encrypted. If the keyring is wiped or the passphrase forgotten, "
        "the recovery key shown at the start gets them back."
    ),
    "バックアップ": "Backups",
    "記録のバックアップは {hours} 時間ごとに自動で作成され、古いものから削除されます。": (
        "A backup of the records is made automatically every {hours} hours; the oldest are removed."
    ),
    "保持する数": "Keep",
    "この PC には使える OS のキーリングがないため、鍵はパスフレーズで保護されています。": (
        "This PC has no usable OS keyring, so the key is protected by a passphrase."
    ),
    "記録はまだ作成されていません(最初の記録のときに鍵を作ります)。": (
        "No records yet (the key is created with the first record)."
    ),
    "記録はまだ開いていません。": "The records are not open yet.",
    "記録を開くと、バックアップを作成・復元できます。": "Open the records to create or restore backups.",
    "バックアップを作成しました: {name}": "Backup created: {name}",
    "(復元前の記録: {name})": " (records before the restore: {name})",
    "復元しました。": "Restored.",
    "OS のキーリングが使えないため、パスフレーズを設定することになります。": (
        "There is no usable OS keyring, so you will set a passphrase."
    ),
    # viewer
    "元のアプリで開く": "Open in its own app",
    "このファイルを、OS で関連付けられたアプリで開きます": "Opens this file in the app the OS uses for it",
    "閉じる": "Close",
    "ファイルが見つかりません(移動または削除された可能性があります)。": "File not found (it may have been moved or deleted).",
    "PDF を表示できません。抜粋を表示しています。": "The PDF cannot be shown; showing the passage instead.",
    "(本文なし)": "(no text)",
}

register(CATALOG)
