"""English for the semantic layer's strings (ナレッジ, 回答, モデル pages); registered on import."""

from ui.i18n import register

CATALOG: dict[str, str] = {
    "意味検索": "Semantic search",
    "AIモデルの下書きが資料の記載と合わなかったため、資料からの抜粋を表示しています。":
        "The AI model's draft did not match what the documents say, so the excerpt from the documents is shown.",
    "AIモデル自身が、この資料で答えられるか迷っています。伝える前に根拠の箇所を確かめてください。":
        "The AI model itself was unsure these passages answer the question. Check the cited passages before "
        "passing the answer on.",
    "意味検索: オフ(語句の一致だけで検索します)。モデル画面で埋め込みモデルを選ぶと、言い換えた質問でも見つかるようになります。":
        "Semantic search: off (search matches words only). Choose an embedding model on the Model page so that "
        "questions in other words are found too.",
    "意味検索: {model} — {done} / {total} 区切りのベクトルを作成中({rate:.1f} 件/秒)。作成済みの分から検索に使われます。":
        "Semantic search: {model} — embedding {done} / {total} chunks ({rate:.1f}/s). Finished ones are already "
        "searched.",
    "意味検索: {model} — {done} / {total} 区切り。言い換えた質問でも規程の該当箇所を探します。":
        "Semantic search: {model} — {done} / {total} chunks. Questions in other words find the rules too.",
    "意味検索: 使えません — {problem}": "Semantic search: unavailable — {problem}",
    "回答を速くするため、文のベクトルを作成中です({done} / {total} 文)。":
        "Preparing sentence vectors so answers come faster ({done} / {total} sentences).",
    "意味が近い": "Similar in meaning",
    "語句と意味": "Words and meaning",
    "語句": "Words",
    "意味検索のモデル(埋め込み)": "Semantic search model (embeddings)",
    "社員の言い方(「親が亡くなったら」)でも規程の言葉(「父母の死亡」)を探すためのモデルです。"
    "ほかの埋め込みモデル(multilingual-e5、ruri、bge-m3 など)の GGUF も「GGUF ファイルを取り込む…」で取り込めば、"
    "ここで選べます。変えると知識ベースはバックグラウンドで埋め込み直され、その間も検索は使えます。":
        "It finds the rules' words (「父母の死亡」) for the way people ask (「親が亡くなったら」). Other embedding "
        "models (multilingual-e5, ruri, bge-m3 …) can be imported as GGUF with \"Import a GGUF file…\" and chosen "
        "here. After a change the knowledge base is re-embedded in the background; search keeps working meanwhile.",
    "使わない(語句検索のみ)": "None (word search only)",
    "切り替えています…": "Switching…",
    "使っていません。検索は語句の一致だけで行います。": "Not used: search matches words only.",
    "{model} — {done} / {total} 区切りを埋め込み中({rate:.1f} 件/秒)。":
        "{model} — embedding {done} / {total} chunks ({rate:.1f}/s).",
    "{model} を使っています。": "Using {model}.",
    "(意味の近い箇所を探しています…)": " (looking for passages close in meaning…)",
}
register(CATALOG)
