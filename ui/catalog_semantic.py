"""English for the semantic layer's strings (ナレッジ, 回答, モデル pages); registered on import."""

from ui.i18n import register

CATALOG: dict[str, str] = {
    "意味検索": "Semantic search",
    "意味検索: オフ(語句の一致だけで検索します)。モデル画面で埋め込みモデルを選ぶと、言い換えた質問でも見つかるようになります。":
        "Semantic search: off (search matches words only). Choose an embedding model on the Model page so that "
        "questions in other words are found too.",
    "意味検索: {model} — {done} / {total} 区切りのベクトルを作成中({rate:.1f} 件/秒)。作成済みの分から検索に使われます。":
        "Semantic search: {model} — embedding {done} / {total} chunks ({rate:.1f}/s). Finished ones are already "
        "searched.",
    "意味検索: {model} — {done} / {total} 区切り。言い換えた質問でも規程の該当箇所を探します。":
        "Semantic search: {model} — {done} / {total} chunks. Questions in other words find the rules too.",
    "意味検索: 使えません — {problem}": "Semantic search: unavailable — {problem}",
    "意味が近い": "Similar in meaning",
    "語句と意味": "Words and meaning",
    "語句": "Words",
}
register(CATALOG)
