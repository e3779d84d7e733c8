"""Chat messages for grounded answers, built from plain passages (``local_models`` never imports ``kb``).

The message list is ``[system, worked-example question, worked-example answer, question]``. The first
three never change, so the runtime keeps them evaluated across questions (``FIXED_PREFIX_MESSAGES``). One
worked example — passages, a question, and a short answer that cites [n] after each claim and copies
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
    "- 日数・金額・期限などの数字は資料の表記のまま書く。\n"
    "- 答えは1〜3文。前置きや繰り返しは書かない。\n"
    f"- 資料に答えがなければ「{NOT_IN_PASSAGES}」とだけ書く。"
)

# A fictional company's rules, so the example never leaks an answer into a real question.
EXAMPLE_PASSAGES: tuple[tuple[str, str, str], ...] = (
    (
        "慶弔見舞金規程",
        "第4条",
        "第4条（結婚祝金）社員本人が結婚したときは、結婚祝金として30,000円を支給する。"
        "申請は結婚の日から3か月以内に所定の申請書で行う。",
    ),
    (
        "就業規則",
        "第22条",
        "第22条（慶弔休暇）社員は次の場合に慶弔休暇を取得できる。(1) 本人が結婚するとき 5日 "
        "(2) 子が結婚するとき 2日 (3) 配偶者が出産するとき 2日",
    ),
    (
        "社内よくある質問",
        "シート「FAQ」A7:B7",
        "Q. 社員証をなくしたら？ A. 総務部に紛失届を出してください。再発行手数料は1,000円です。",
    ),
)
EXAMPLE_QUESTION = "結婚するときは休暇を何日もらえますか？お祝い金はありますか？"
EXAMPLE_ANSWER = (
    "本人が結婚するときは、慶弔休暇を5日取得できます[2]。"
    "また結婚祝金として30,000円が支給され、結婚の日から3か月以内に申請します[1]。"
)

FIXED_PREFIX_MESSAGES = 3


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
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": question_message(EXAMPLE_QUESTION, example)},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
    ]


def grounded_messages(question: str, passages: Sequence[Passage]) -> list[Message]:
    """The full chat for one question; its first ``FIXED_PREFIX_MESSAGES`` messages never change."""
    return [*fixed_prefix(), {"role": "user", "content": question_message(question, passages)}]
