"""English texts for the プロンプト集 (prompt library) page (Japanese is the source).

Shared words (停止, コピー, 削除 …) use the same English as the other pages, so whichever catalogue registers
last, the app says the same thing.
"""

from __future__ import annotations

from ui.i18n import register

CATALOG: dict[str, str] = {
    # page and list
    "プロンプト集": "Prompt library",
    "うまくいったプロンプトをチームで共有し、そのまま使えます。評価の高いものから並びます。":
        "Share the prompts that work with the team and use them as they are. The best rated come first.",
    "題名・本文・作成者で検索": "Search title, text, author",
    "すべてのタグ": "All tags",
    "新規": "New",
    "新しいプロンプトを書きます (Ctrl+N)": "Write a new prompt (Ctrl+N)",
    "読み込み…": "Import…",
    "同僚が書き出したプロンプト集（.json）を取り込みます。同じものは二重になりません":
        "Import a prompt file (.json) a colleague exported. Nothing is added twice",
    "書き出し…": "Export…",
    "プロンプト集を .json ファイルに書き出し、共有フォルダーや USB メモリで渡せます":
        "Export the library to a .json file to pass on through a shared folder or a USB stick",
    "使う": "Use",
    "編集": "Edit",
    "★ {avg}（{n}件）": "★ {avg} ({n})",
    "未評価": "Not rated",
    "{n} 回使用": "used {n}×",
    "作成者なし": "No author",
    # empty states
    "おすすめのプロンプトを追加（{n}件）": "Add the recommended prompts ({n})",
    "自分で書く": "Write my own",
    "ファイルから読み込む…": "Import from a file…",
    "プロンプト集はまだ空です。": "The prompt library is empty.",
    "うまくいったプロンプト（AIへの指示文）をここに集めると、チームの誰でも同じ品質で使えます。":
        "Collect the prompts (instructions to the AI) that worked well here, and anyone on the team can use "
        "them with the same quality.",
    "まずは総務の仕事ですぐ使えるおすすめのプロンプトを追加するか、自分で書くか、同僚が書き出したファイルを読み込んでください。":
        "Start by adding the recommended prompts for general-affairs work, write your own, or import a file "
        "a colleague exported.",
    "条件に合うプロンプトはありません。": "No prompt matches.",
    "検索語を短くするか、タグを「すべてのタグ」に戻してください。":
        "Try a shorter search, or set the tag back to \u201cAll tags\u201d.",
    "プロンプト集を読み込めませんでした。": "The prompt library could not be loaded.",
    # use tab
    "プロンプトを選ぶと、ここで文章を入れて実行できます。":
        "Choose a prompt to paste your text and run it here.",
    "「新規」で、うまくいったプロンプトを自分で登録できます。":
        "With \u201cNew\u201d you can add a prompt that worked well for you.",
    "このプロンプトの本文（「編集」タブで直せます）": "The prompt's text (change it on the Edit tab)",
    "入力（本文の {入力} の位置に入ります）": "Input (goes where {入力} stands in the text)",
    "入力（本文の後ろに付きます。なくても実行できます）":
        "Input (added after the text; the prompt also runs without it)",
    "ここに文章を貼り付け": "Paste your text here",
    "AIで実行": "Run with AI",
    "入力を本文に入れて、AIに実行させます (Ctrl+Enter)": "Put the input into the prompt and run it (Ctrl+Enter)",
    "停止": "Stop",
    "テンプレートをコピー": "Copy template",
    "入力を入れたプロンプトをコピーします。ほかのAIツールに貼り付けて使えます":
        "Copy the prompt with your input in it, to paste into another AI tool",
    "AIの出力がここに表示されます": "The AI's output appears here",
    "コピー": "Copy",
    "AIの出力をコピーします": "Copy the AI's output",
    "この結果の評価:": "Rate this result:",
    "★{n} をつける": "Give ★{n}",
    "作成しています…": "Writing…",
    "停止しました。": "Stopped.",
    "AIは何も出力しませんでした。入力を見直して、もう一度お試しください。":
        "The AI produced nothing. Check the input and try again.",
    "完了しました。結果を評価してください。": "Done. Please rate the result.",
    "実行できませんでした: {error}": "Could not run: {error}",
    "先に文章を貼り付けてください。": "Paste your text first.",
    "出力をコピーしました。": "Output copied.",
    "プロンプトをコピーしました。": "Prompt copied.",
    "★{n} で評価しました。ありがとうございます。": "Rated ★{n}. Thank you.",
    "評価を保存できませんでした: {error}": "The rating could not be saved: {error}",
    "AIモデルを読み込み中です。準備ができると「AIで実行」が使えます。":
        "The AI model is loading. \u201cRun with AI\u201d works once it is ready.",
    "AIモデルを読み込めませんでした（モデル画面で確認できます）。":
        "The AI model could not be loaded (see the Model page).",
    "AIモデルが読み込まれていません。": "No AI model is loaded.",
    "「テンプレートをコピー」で、文章を入れたプロンプトをほかのAIツールに貼り付けて使えます。":
        "With \u201cCopy template\u201d you can paste the prompt, with your text in it, into another AI tool.",
    # edit tab
    "プロンプトを編集": "Edit prompt",
    "新しいプロンプト": "New prompt",
    "例: 問い合わせ回答メールの下書き": "e.g. Draft a reply e-mail to an inquiry",
    "例: 総務部 山田": "e.g. Yamada, General Affairs",
    "カンマ区切り（例: メール, 問い合わせ）": "Comma-separated (e.g. mail, inquiry)",
    "題名": "Title",
    "作成者": "Author",
    "タグ": "Tags",
    "本文": "Text",
    "{入力} を挿入": "Insert {入力}",
    "カーソルの位置に {入力} を入れます": "Insert {入力} at the cursor",
    "例: 次の問い合わせに答えるメールの下書きを、です・ます調で作ってください。":
        "e.g. Draft a polite e-mail that answers the following inquiry.",
    "問い合わせ:": "Inquiry:",
    "使うときに貼り付けた文章が {入力} の位置に入ります。{入力} がない本文では、文章は最後に付きます。":
        "When the prompt is used, the pasted text goes where {入力} stands; without {入力} it is added at the end.",
    "保存": "Save",
    "保存します (Ctrl+S)": "Save (Ctrl+S)",
    "削除": "Delete",
    "題名と本文を入力してください。": "Enter a title and a text.",
    "保存しました。": "Saved.",
    "保存できませんでした: {error}": "Could not save: {error}",
    "プロンプトの削除": "Delete prompt",
    "「{title}」を削除しますか？": "Delete \u201c{title}\u201d?",
    "この PC のプロンプト集から消えます。書き出したファイルや同僚の PC には残ります。":
        "It is removed from this PC's library. Exported files and colleagues' PCs keep their copy.",
    "キャンセル": "Cancel",
    "保存していない変更": "Unsaved changes",
    "「{title}」の変更を保存しますか？": "Save the changes to \u201c{title}\u201d?",
    "保存しないと、編集した内容は失われます。": "If you do not save, your edits are lost.",
    "保存しない": "Don't save",
    "削除しました。": "Deleted.",
    "削除できませんでした: {error}": "Could not delete: {error}",
    # sharing
    "プロンプト集_{date}.json": "prompt-library_{date}.json",
    "プロンプト集を書き出す": "Export prompt library",
    "プロンプト集を読み込む": "Import prompt library",
    "プロンプト集 (*.json)": "Prompt library (*.json)",
    "すべてのファイル (*)": "All files (*)",
    "{n} 件を書き出しました: {path}": "Exported {n} prompts: {path}",
    "書き出せませんでした: {error}": "Could not export: {error}",
    "読み込みました（追加 {added} 件、更新 {updated} 件、変更なし {unchanged} 件）":
        "Imported ({added} added, {updated} updated, {unchanged} unchanged)",
    "読み込めませんでした。何も変更していません: {error}": "Could not import; nothing was changed: {error}",
    "おすすめのプロンプトを {n} 件追加しました。": "Added {n} recommended prompts.",
    "おすすめのプロンプトはすべて追加済みです。": "All the recommended prompts are already in the library.",
    "追加できませんでした: {error}": "Could not add: {error}",
}

register(CATALOG)
