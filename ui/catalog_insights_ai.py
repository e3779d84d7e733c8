"""English for the 分析 page's "AIの読み取り" panel (ui/pages/insights_ai.py); registered on import."""

from ui.i18n import register

CATALOG: dict[str, str] = {
    "ほか{n}件": "{n} more",
    "AIの読み取り — テーマ・再発・FAQ候補・所見": "What the AI reads — themes, recurring issues, FAQ candidates, findings",
    "中止": "Cancel",
    "読み直す": "Read again",
    "新しい記録・変更された記録を読み、テーマを更新します": "Read new and changed records and update the themes",
    "分類に関係なく、同じ話題の現場の声と問い合わせをまとめます。すべてこのPCの中で計算します。"
    "[T…] はテーマ、#… は記録のIDです（クリックで記録を開きます）。":
        "Floor notes and inquiries about the same thing are grouped, whatever category people chose. Everything "
        "is computed on this PC. [T…] is a theme, #… a record ID (click to open the record).",
    "テーマ": "Theme",
    "再発・複数部署": "Recurring",
    "FAQ候補": "FAQ candidates",
    "所見（報告用）": "Findings (for the report)",
    "ログブックに質問": "Ask the logbook",
    "件数": "Count",
    "傾向": "Trend",
    "未対応": "Open",
    "場所": "Place",
    "最初〜最後": "First – last",
    "対応済みの後にまた報告された問題、3部署以上から報告された問題です。":
        "Problems reported again after they were marked done, and problems reported by three or more departments.",
    "最後": "Last",
    "言い方を変えて繰り返された問い合わせと、規程で答えられなかった検索です。質問・回答・根拠規程を"
    "ダブルクリックで直せます。書き出したFAQシートを知識フォルダに置くと、回答画面で答えられます。":
        "Inquiries repeated in other words, and searches the rules could not answer. Double-click a question, "
        "answer or rule to edit it. Save the FAQ sheet into a knowledge folder and the Answer page can answer it.",
    "質問": "Question",
    "回答": "Answer",
    "根拠規程": "Rule",
    "もと": "From",
    "FAQシートを書き出す…": "Export FAQ sheet…",
    "FAQシートを書き出す": "Export FAQ sheet",
    "集計から作り直す": "Rewrite from the figures",
    "AIモデルで書く": "Write with the AI model",
    "モデルの文は、数値と引用を集計と照合し、合わない文は定型文に戻します":
        "The model's sentences are checked against the figures and citations; any that do not match are "
        "replaced by the templated sentence",
    "例: 会議室についての声で多いのは？ / 先月から増えた相談は？ / 大阪営業所で未対応のものは？":
        "e.g. 会議室についての声で多いのは？ / 先月から増えた相談は？ / 大阪営業所で未対応のものは？",
    "質問する": "Ask",
    "ID": "ID",
    "種類": "Kind",
    "日付": "Date",
    "状況": "Status",
    "内容": "Text",
    "中止しました（前回の結果のままです）": "Stopped (the previous results are kept)",
    "記録を読んでいます…": "Reading the records…",
    "読み取れませんでした。": "Could not read the logbook.",
    "テーマ {n} 件・再発 {r} 件・FAQ候補 {f} 件": "{n} themes · {r} recurring · {f} FAQ candidates",
    "テーマはまだありません（同じ話題の記録が3件以上でテーマになります）":
        "No themes yet (three records about the same thing make a theme)",
    "記録:": "Records:",
    "対応済みの後に再発": "reported again after done",
    "{n}部署から": "from {n} departments",
    "再発・複数部署からの報告はありません": "No recurring issues",
    "繰り返された質問": "Repeated question",
    "FAQシートを書きました（{n}行、回答のない{s}件は除外）: {path}":
        "FAQ sheet written ({n} rows; {s} without an answer left out): {path}",
    "AIモデルが書き、数値と引用を照合済み": "written by the AI model, numbers and citations checked",
    "集計から定型文で作成": "templated from the figures",
    "（照合で合わなかった{n}文は定型文に戻しました）": " ({n} sentences that did not match were replaced)",
    "{month} の所見 — {how}{replaced}。編集すると月次報告にそのまま載ります。":
        "Findings for {month} — {how}{replaced}. Your edits go into the monthly report as they are.",
    "✓ 数値と引用は集計と一致しています": "✓ Numbers and citations match the figures",
    "所見を書いています…": "Writing the findings…",
    "先に「読み直す」で記録を読み込んでください": "Press “Read again” first to read the records",
    "答えられませんでした。": "Could not answer.",
    "根拠の記録:": "Records:",
    "↑ 増加": "↑ rising",
    "→ 横ばい": "→ steady",
    "↓ 減少": "↓ falling",
    "記録を読み込み中": "Reading records",
    "文を数値に変換中": "Turning text into vectors",
    "文を解析中": "Analysing text",
    "似た記録をまとめ中": "Grouping similar records",
    "まとまりを整えています": "Refining the groups",
    "見出しを作成中": "Writing labels",
    "一覧を作成中": "Building the lists",
    "前回の結果のままです。「読み直す」で新しく読み直せます。":
        "The previous results are kept. Press Read again to read anew.",
}
register(CATALOG)
