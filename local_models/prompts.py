"""Chat messages for grounded answers, built from plain passages (``local_models`` never imports ``kb``).

The message list is ``[system, worked-example question, worked-example answer, refusal-example question,
refusal, question]``. The first five never change, so the runtime keeps them evaluated across questions
(``FIXED_PREFIX_MESSAGES``). One worked example — passages, a question, and a short answer that cites [n] after each claim and copies
numbers exactly — lifts a 1.5B model's answers far more than longer instructions do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Message = dict[str, str]

NOT_IN_PASSAGES = "資料に該当する記載が見つかりませんでした。"

SYSTEM_PROMPT = (
    "あなたは会社の総務担当者を手伝うアシスタントです。"
    "与えられた資料だけを根拠に、質問に日本語で短く答えてください。\n"
    "守ること:\n"
    "- 資料に書かれていることだけを使い、推測や一般論で補わない。\n"
    "- 文ごとに、根拠にした資料の番号を文末に [1] のように付ける。\n"
    "- 資料が場合分けの一覧なら、質問に当てはまる行だけを使う。\n"
    "- 日数・金額・期限などの数字は資料の表記のまま書く。\n"
    "- 答えは1〜3文。前置きや繰り返しは書かない。\n"
    f"- 資料に答えがなければ「{NOT_IN_PASSAGES}」とだけ書く。"
)

# Fictional rules on a topic no demo or test document covers, so the example never leaks into an answer.
EXAMPLE_PASSAGES: tuple[tuple[str, str, str], ...] = (
    (
        "名刺管理規程",
        "第3条",
        "第3条（名刺の支給）名刺は次のとおり支給する。\n1. 新入社員・・・100枚\n2. 営業職・・・300枚\n3. 役員・・・500枚",
    ),
    (
        "ロッカー利用規程",
        "第5条",
        "第5条（鍵の紛失）ロッカーの鍵を紛失したときは、直ちに総務部に届け出る。鍵の交換費用2,000円は本人負担とする。",
    ),
    (
        "名刺管理規程",
        "第4条",
        "第4条（追加の申請）追加が必要なときは、所属長の承認を得て総務部に申請する。追加の名刺は申請から5営業日以内に納品する。",
    ),
)
EXAMPLE_QUESTION = "営業職ですが、名刺は何枚もらえますか？追加するときはどうすればいいですか？"
EXAMPLE_ANSWER = (
    "営業職には名刺が300枚支給されます[1]。"
    "追加するときは所属長の承認を得て総務部に申請し、申請から5営業日以内に届きます[3]。"
)

# The second worked example: passages on the topic of the question that still do not answer it. A small model
# otherwise answers anything from whatever it is given; seeing the instructed sentence once, it writes it when
# the passages only share the question's topic (the answer pipeline treats it as "not found" in its gate's band).
REFUSAL_EXAMPLE_PASSAGES: tuple[tuple[str, str, str], ...] = (EXAMPLE_PASSAGES[1],)
REFUSAL_EXAMPLE_QUESTION = "ロッカーの大きさは何センチですか？"

FIXED_PREFIX_MESSAGES = 5


@dataclass(frozen=True)
class Passage:
    """One numbered passage handed to the model."""

    n: int
    title: str
    location: str
    text: str


def format_passages(passages: Sequence[Passage]) -> str:
    blocks = []
    for p in passages:
        where = f"（{p.location}）" if p.location else ""
        blocks.append(f"[{p.n}] {p.title}{where}\n{p.text.strip()}")
    return "\n\n".join(blocks)


def question_message(question: str, passages: Sequence[Passage]) -> str:
    return f"資料:\n{format_passages(passages)}\n\n質問: {question.strip()}"


def fixed_prefix() -> list[Message]:
    example = [Passage(i + 1, t, loc, text) for i, (t, loc, text) in enumerate(EXAMPLE_PASSAGES)]
    refusal = [Passage(i + 1, t, loc, text) for i, (t, loc, text) in enumerate(REFUSAL_EXAMPLE_PASSAGES)]
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": question_message(EXAMPLE_QUESTION, example)},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
        {"role": "user", "content": question_message(REFUSAL_EXAMPLE_QUESTION, refusal)},
        {"role": "assistant", "content": NOT_IN_PASSAGES},
    ]


def grounded_messages(question: str, passages: Sequence[Passage]) -> list[Message]:
    """The full chat for one question; its first ``FIXED_PREFIX_MESSAGES`` messages never change."""
    return [*fixed_prefix(), {"role": "user", "content": question_message(question, passages)}]
