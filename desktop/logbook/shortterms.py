"""An index for 1–2 character search terms, which the FTS5 trigram index cannot serve.

Japanese words are often two characters (空調, 照明, 騒音, 椅子) and sometimes one (鍵). For each record we
index every adjacent pair of word characters ("bigrams") plus the last character of each run, as
space-separated tokens in a contentless FTS5 table (``unicode61``, no diacritic folding, so ガ ≠ カ).
Then a 2-character term is one token (``"空調"``) and a 1-character term a prefix query (``鍵*``).

The bigram text is made by :func:`bigram_tokens`, registered on every logbook connection as the SQL
function ``sd_bigrams`` and called from triggers, so the index stays right however a record is written.
Terms containing a non-word character (``A-``, ``。``) fall back to an ``instr`` scan.
"""

from __future__ import annotations

from typing import Any

SQL_FUNCTION = "sd_bigrams"


def _runs(text: str) -> list[str]:
    runs: list[str] = []
    current: list[str] = []
    for ch in text.lower():
        if ch.isalnum():
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def bigram_tokens(*texts: Any) -> str:
    """``"会議室"`` → ``"会議 議室 室"``: every adjacent pair, and each run's last character."""
    tokens: list[str] = []
    for text in texts:
        if not text:
            continue
        for run in _runs(str(text)):
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
            tokens.append(run[-1])
    return " ".join(tokens)


def can_serve(term: str) -> bool:
    """True for a 1–2 character term made only of word characters."""
    return 1 <= len(term) <= 2 and all(ch.isalnum() for ch in term)


def match_expression(terms: list[str]) -> str:
    """FTS5 query ANDing the terms: ``"空調"`` for two characters, ``鍵*`` for one."""
    parts = []
    for term in terms:
        t = term.lower()
        parts.append(f'"{t}"' if len(t) == 2 else f'"{t}"*')
    return " AND ".join(parts)


def register(conn: Any) -> None:
    conn.create_function(SQL_FUNCTION, -1, bigram_tokens, deterministic=True)
