"""Ask the logbook: 「会議室についての声で多いのは？」「先月から増えた相談は？」「大阪営業所で未対応のものは？」.

The answer is computed, never written freely: :func:`parse_question` reads the question into a
:class:`LogbookQuery` (what kind of records, which place / department / status / period, what the question
is about, and what it wants: the largest themes, what rose, a count or the records), :func:`ask_logbook`
filters the records and builds the sentence from the figures, with every record ID it rests on. So every
number in the answer is a count of the IDs shown, and a question the logbook cannot answer (its topic is in
no record, or nothing in it was understood) says so with ``grounded = False``.

Reading the question (deterministic, from the logbook's own lists):

* **place** — a known place (the edited list and the places used in notes) when the question names it, in
  full or by its last part (「会議室A」 for 「本社3F 会議室A」);
* **department** — a department used in the records, in full or without its suffix (「営業」 for 営業部),
  after the place words are taken out (so 「大阪営業所」 is not 営業部);
* **kind** — 声・現場 → floor notes; 相談・問い合わせ・質問 → inquiries; otherwise both;
* **status** — 未対応・まだ・残って… → open; 対応済・解決… → done;
* **period** — 今月, 先月, 今年, 今年度 (the fiscal year), 先週, 直近/過去Nか月, M月, YYYY年M月;
* **intent** — 増えた → *rising* (the last 30 days against the 30 before, stated in the answer),
  減った → *falling*, 多い・上位 → *top* (largest themes), 何件 → *count*, otherwise *list*;
* **topic** — the remaining content words; a record matches when each word is in its text, place or
  category (the same Sudachi analysis as search, so 会議室 meets 会議室A and compounds meet their parts).

Anonymous notes stay anonymous: the answer lists IDs, dates and places, never names.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from desktop import insights as ins
from desktop.insights_store import Doc
from desktop.logbook_insights import LogbookAnalysis, excerpt, months_back

WINDOW_DAYS = 30
SHOWN = 10  # records listed in the sentence (all IDs are returned)

KIND_WORDS = {
    "note": ("現場の声", "ぶらぶら", "現場", "声", "指摘", "要望", "苦情"),
    "inquiry": ("問い合わせ", "問合せ", "問合わせ", "相談", "質問", "聞かれ", "お問い合わせ"),
}
OPEN_WORDS = ("未対応", "未完了", "未解決", "対応中", "対応していない", "対応されていない", "残って", "残る", "まだ",
              "放置", "片付いていない", "終わっていない")
DONE_WORDS = ("対応済", "対応済み", "完了", "解決済", "解決した", "片付いた", "終わった")
RISING_WORDS = ("増えた", "増えて", "増加", "急増", "増える", "伸びて", "多くなった")
FALLING_WORDS = ("減った", "減って", "減少", "少なくなった")
TOP_WORDS = ("多いの", "多い", "多かった", "一番", "上位", "トップ", "ランキング", "目立つ", "よくある")
COUNT_WORDS = ("何件", "件数", "いくつ", "どれくらい", "どのくらい", "何回", "何個")
# Words that shape the question but are not its topic.
FRAME_WORDS = {
    "声", "相談", "問い合わせ", "問合せ", "質問", "件", "もの", "こと", "物", "事", "多い", "少ない", "増える", "減る",
    "何", "件数", "ある", "いる", "来る", "残る", "出る", "つく", "関する", "対する", "対応", "未", "済", "済み",
    "中", "完了", "解決", "先月", "今月", "今年", "今年度", "先週", "直近", "過去", "月", "年", "度", "最近", "教える",
    "知る", "見る", "一番", "上位", "トップ", "どれ", "どこ", "いつ", "誰", "なに", "聞く", "言う", "思う", "ランキング",
    "目立つ", "よく", "現場", "指摘", "要望", "苦情", "部署", "場所", "全体", "全部", "すべて", "記録", "まだ",
    "放置", "増加", "減少", "急増", "いくつ", "くらい", "ぐらい", "回", "個", "ここ", "か月", "ヶ月", "カ月", "週",
    "今", "前", "来年", "来月", "人", "方", "たち", "みんな", "皆", "社員", "従業員", "なる", "する", "できる", "られる", "れる", "もらう", "くる", "みる", "ください", "下さい", "伸びる",
}


@dataclass
class LogbookQuery:
    """What the question asks, as understood (shown to the user, so a misunderstanding is visible)."""

    kind: str = ""  # "note" | "inquiry" | "" (both)
    places: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    status: str = ""  # "open" | "done" | ""
    date_from: str = ""  # inclusive YYYY-MM-DD
    date_to: str = ""  # inclusive YYYY-MM-DD
    period_label: str = ""
    intent: str = "list"  # "list" | "count" | "top" | "rising" | "falling"
    topic: list[str] = field(default_factory=list)  # surfaces of the topic words

    @property
    def understood(self) -> bool:
        return bool(self.kind or self.places or self.departments or self.status or self.date_from
                    or self.topic or self.intent != "list")

    def describe(self) -> str:
        parts = []
        if self.topic:
            parts.append("「" + "・".join(self.topic) + "」")
        if self.places:
            parts.append("場所: " + "・".join(self.places))
        if self.departments:
            parts.append("部署: " + "・".join(self.departments))
        if self.status:
            parts.append("未対応" if self.status == "open" else "対応済")
        if self.period_label:
            parts.append(self.period_label)
        parts.append({"note": "現場の声", "inquiry": "問い合わせ"}.get(self.kind, "現場の声と問い合わせ"))
        return "・".join(parts)


@dataclass
class RecordRow:
    id: str
    kind: str
    date: str
    place: str
    department: str  # empty for an anonymous note
    status: str
    text: str
    theme: str = ""


@dataclass
class LogbookAnswer:
    answer: str
    ids: list[str]
    grounded: bool
    query: LogbookQuery
    rows: list[RecordRow] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"answer": self.answer, "ids": self.ids, "grounded": self.grounded,
                "query": asdict(self.query), "rows": [asdict(r) for r in self.rows], "figures": self.figures}


# ---- reading the question -----------------------------------------------------------------------------

def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _take(text: str, words: Sequence[str]) -> tuple[bool, str]:
    """Whether any of ``words`` is in ``text``; the text with them blanked out (longest first)."""
    found = False
    for w in sorted(words, key=len, reverse=True):
        if w in text:
            found = True
            text = text.replace(w, " ")
    return found, text


def _month_bounds(year: int, month: int) -> tuple[str, str]:
    period = ins.month(f"{year:04d}-{month:02d}")
    return period.start.isoformat(), period.last_day.isoformat()


def _period(text: str, today: date, fiscal_start: int) -> tuple[str, str, str, str]:
    """(date_from, date_to, label, text without the period words)."""
    m = re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月|(\d{4})-(\d{2})", text)
    if m:
        y, mo = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), int(m.group(4)))
        if 1 <= mo <= 12:
            a, b = _month_bounds(y, mo)
            return a, b, f"{y}年{mo}月", text.replace(m.group(0), " ")
    m = re.search(r"(直近|過去|ここ)\s*(\d{1,2})\s*(か月|ヶ月|カ月|ケ月)", text)
    if m:
        n = int(m.group(2))
        start = months_back(today.strftime("%Y-%m"), n - 1) + "-01"
        return start, today.isoformat(), f"直近{n}か月", text.replace(m.group(0), " ")
    if "先月" in text:
        prev = months_back(today.strftime("%Y-%m"), 1)
        a, b = _month_bounds(int(prev[:4]), int(prev[5:7]))
        return a, b, f"{int(prev[:4])}年{int(prev[5:7])}月（先月）", text.replace("先月", " ")
    if "今月" in text:
        a, _ = _month_bounds(today.year, today.month)
        return a, today.isoformat(), f"{today.year}年{today.month}月（今月）", text.replace("今月", " ")
    if "今年度" in text:
        y = today.year if today.month >= fiscal_start else today.year - 1
        return date(y, fiscal_start, 1).isoformat(), today.isoformat(), f"{y}年度", text.replace("今年度", " ")
    if "今年" in text:
        return date(today.year, 1, 1).isoformat(), today.isoformat(), f"{today.year}年", text.replace("今年", " ")
    if "先週" in text:
        monday = today - timedelta(days=today.weekday() + 7)
        return monday.isoformat(), (monday + timedelta(days=6)).isoformat(), "先週", text.replace("先週", " ")
    m = re.search(r"(?<!\d)(\d{1,2})\s*月", text)
    if m and 1 <= int(m.group(1)) <= 12:
        mo = int(m.group(1))
        y = today.year if mo <= today.month else today.year - 1
        a, b = _month_bounds(y, mo)
        return a, b, f"{y}年{mo}月", text.replace(m.group(0), " ")
    return "", "", "", text


def _match_values(text: str, values: Sequence[str], short: Any) -> tuple[list[str], str]:
    """Known values the text names (in full, or by ``short(value)``); the text with them blanked out."""
    hits: list[tuple[str, str]] = []
    for v in values:
        for form in dict.fromkeys([_norm(v), short(_norm(v))]):
            if form and len(form) >= 2 and form in text:
                hits.append((v, form))
                break
    out = []
    for v, form in sorted(hits, key=lambda h: -len(h[1])):
        out.append(v)
        text = text.replace(form, " ")
    return sorted(dict.fromkeys(out), key=values.index), text


def _last_part(place: str) -> str:
    parts = place.split()
    return parts[-1] if len(parts) > 1 else ""


def _without_suffix(dept: str) -> str:
    for suffix in ("部門", "部", "室", "課", "チーム", "グループ"):
        if dept.endswith(suffix) and len(dept) > len(suffix) + 1:
            return dept[: -len(suffix)]
    return ""


def parse_question(question: str, *, places: Sequence[str], departments: Sequence[str], today: date,
                   fiscal_start: int = 4) -> LogbookQuery:
    text = _norm(question)
    q = LogbookQuery()
    q.places, text = _match_values(text, list(places), _last_part)
    q.departments, text = _match_values(text, list(departments), _without_suffix)
    rising, text = _take(text, RISING_WORDS)
    falling, text = _take(text, FALLING_WORDS)
    count, text = _take(text, COUNT_WORDS)
    top, text = _take(text, TOP_WORDS)
    q.intent = "rising" if rising else "falling" if falling else "count" if count else "top" if top else "list"
    if q.intent in ("rising", "falling"):
        text = text.replace("先月から", " ").replace("前月から", " ").replace("最近", " ")
    else:
        q.date_from, q.date_to, q.period_label, text = _period(text, today, fiscal_start)
    is_open, text = _take(text, OPEN_WORDS)
    is_done, text = _take(text, DONE_WORDS)
    q.status = "open" if is_open else "done" if is_done else ""
    kinds = []
    for kind, words in KIND_WORDS.items():
        hit, text = _take(text, words)
        if hit:
            kinds.append(kind)
    q.kind = kinds[0] if len(kinds) == 1 else ""
    q.topic = _topic_words(text)
    return q


def _topic_words(text: str) -> list[str]:
    from kb.analysis import get_analyzer

    out: list[str] = []
    for unit in get_analyzer().query_units(text):
        if not unit.content or unit.norm in FRAME_WORDS or unit.surface in FRAME_WORDS:
            continue
        if all(t in FRAME_WORDS for t in unit.terms):
            continue
        if len(unit.surface) < 2 and unit.surface.isascii():
            continue
        out.append(unit.surface)
    return list(dict.fromkeys(out))


# ---- answering ---------------------------------------------------------------------------------------

# Each record's terms, per analysis and record version: read once per process, not once per question.
_RECORD_TERMS: weakref.WeakKeyDictionary[LogbookAnalysis, dict[tuple[str, str], frozenset[str]]] = (
    weakref.WeakKeyDictionary())


class _TopicMatcher:
    """A record is about the topic when each topic word is in its text / place / category (surface or terms)."""

    def __init__(self, words: Sequence[str], analysis: LogbookAnalysis) -> None:
        from kb.analysis import get_analyzer

        self.units = []
        analyzer = get_analyzer()
        for w in words:
            units = [u for u in analyzer.query_units(w) if u.content]
            terms = {t for u in units for t in u.terms if len(t) > 1 or not t.isascii()}
            self.units.append((_norm(w).lower(), terms))
        self._analyzer = analyzer
        self._terms = _RECORD_TERMS.setdefault(analysis, {})

    def _record_terms(self, d: Doc, body: str) -> frozenset[str]:
        key = (d.key, d.updated_at)
        terms = self._terms.get(key)
        if terms is None:
            terms = frozenset(t for u in self._analyzer.query_units(body) for t in u.terms)
            self._terms[key] = terms
        return terms

    def __call__(self, d: Doc) -> bool:
        if not self.units:
            return True
        body = _norm(" ".join((d.text, d.place, d.category))).lower()
        if all(surface in body for surface, _parts in self.units):
            return True  # every word is there as written: no analysis needed
        terms = self._record_terms(d, body)
        return all(surface in body or (parts and parts <= terms) for surface, parts in self.units)


def _row(d: Doc, analysis: LogbookAnalysis) -> RecordRow:
    anonymous = d.kind == "note" and d.anonymous
    return RecordRow(d.id, d.kind, d.at[:10], d.place, "" if anonymous else d.department, d.status,
                     excerpt(d.text), analysis.theme_label_of(d) or "")


def _known_values(analysis: LogbookAnalysis) -> tuple[list[str], list[str]]:
    places = list(dict.fromkeys([*analysis.book.lists.places(), *(d.place for d in analysis.docs if d.place)]))
    departments = [k for k, _ in Counter(d.department for d in analysis.docs if d.department).most_common()]
    return places, departments


def ask_logbook(analysis: LogbookAnalysis, question: str, *, fiscal_start: int = 4) -> LogbookAnswer:
    """Answer ``question`` from the logbook's records and figures (see the module docstring)."""
    analysis.ensure()
    today = analysis.today or date.today()
    places, departments = _known_values(analysis)
    q = parse_question(question, places=places, departments=departments, today=today, fiscal_start=fiscal_start)
    if not question.strip() or not q.understood:
        return LogbookAnswer(
            "質問からは、記録のどの件数や内容を調べればよいか分かりませんでした。場所・部署・話題・期間・"
            "「未対応」「増えた」「何件」などを含めて聞いてください（例: 「会議室についての声で多いのは？」）。",
            [], False, q)
    topic = _TopicMatcher(q.topic, analysis)
    about = [d for d in analysis.docs if topic(d)]
    if q.topic and not about:
        return LogbookAnswer(
            f"記録の中に「{'・'.join(q.topic)}」についての現場の声・問い合わせは見つかりませんでした。"
            "ログブックの記録から答えられない質問です。", [], False, q)
    selected = [d for d in about if _keep(d, q)]
    if q.intent in ("rising", "falling"):
        return _changes(analysis, q, selected, today)
    selected.sort(key=lambda d: d.at, reverse=True)
    ids = [d.id for d in selected]
    rows = [_row(d, analysis) for d in selected]
    what = q.describe()
    if not selected:
        return LogbookAnswer(f"{what}に当たる記録はありません（0件）。", [], True, q, [], {"count": 0})
    open_n = sum(1 for d in selected if d.open)
    figures: dict[str, Any] = {"count": len(selected), "open": open_n, "done": len(selected) - open_n}
    if q.intent == "top":
        return _top(analysis, q, selected, rows, figures)
    head = f"{what}は{len(selected)}件です（未対応 {open_n}件・対応済みほか {len(selected) - open_n}件）。"
    if q.intent == "count":
        return LogbookAnswer(head, ids, True, q, rows, figures)
    shown = selected[:SHOWN]
    lines = [f"・{d.at[:10]} {d.place or '-'} {excerpt(d.text, 40)}（{d.status}）[#{d.id[:8]}]" for d in shown]
    more = f"\nほか{len(selected) - len(shown)}件。" if len(selected) > len(shown) else ""
    return LogbookAnswer(head + "新しい順に:\n" + "\n".join(lines) + more, ids, True, q, rows, figures)


def _keep(d: Doc, q: LogbookQuery) -> bool:
    if q.kind and d.kind != q.kind:
        return False
    if q.places and d.place not in q.places:
        return False
    if q.departments and d.department not in q.departments:
        return False
    if q.status == "open" and not d.open:
        return False
    if q.status == "done" and d.open:
        return False
    day = d.at[:10]
    return not ((q.date_from and day < q.date_from) or (q.date_to and day > q.date_to))


def _groups(analysis: LogbookAnalysis, docs: Sequence[Doc]) -> dict[str, list[Doc]]:
    """Theme label → records (records in no shown theme are grouped by the category people chose)."""
    out: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        out[analysis.theme_label_of(d) or f"{d.category or '分類未記入'}（分類）"].append(d)
    return out


def _top(analysis: LogbookAnalysis, q: LogbookQuery, selected: list[Doc], rows: list[RecordRow],
         figures: dict[str, Any]) -> LogbookAnswer:
    groups = sorted(_groups(analysis, selected).items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
    parts = []
    ids: list[str] = []
    for label, members in groups:
        where = Counter(d.place for d in members if d.place).most_common(1)
        at = f"、主に{where[0][0]}" if where else ""
        parts.append(f"「{label}」{len(members)}件{at}（{' '.join('#' + d.id[:8] for d in members[:5])}）")
        ids.extend(d.id for d in members)
    figures["top"] = [{"label": label, "count": len(m), "ids": [d.id for d in m]} for label, m in groups]
    text = f"{q.describe()}は{len(selected)}件。多いのは " + "、".join(parts) + " です。"
    # every record the count rests on, the largest groups' first
    order = list(dict.fromkeys([*ids, *(d.id for d in selected)]))
    by_id = {r.id: r for r in rows}
    return LogbookAnswer(text, order, True, q, [by_id[i] for i in order], figures)


def _changes(analysis: LogbookAnalysis, q: LogbookQuery, selected: list[Doc], today: date) -> LogbookAnswer:
    recent_from = today - timedelta(days=WINDOW_DAYS - 1)
    before_from = recent_from - timedelta(days=WINDOW_DAYS)
    rule = (f"直近{WINDOW_DAYS}日（{recent_from:%m/%d}〜{today:%m/%d}）と、その前の{WINDOW_DAYS}日"
            f"（{before_from:%m/%d}〜{recent_from - timedelta(days=1):%m/%d}）の件数を比べました")
    changes = []
    for label, members in _groups(analysis, selected).items():
        recent = [d for d in members if recent_from.isoformat() <= d.at[:10] <= today.isoformat()]
        before = [d for d in members if before_from.isoformat() <= d.at[:10] < recent_from.isoformat()]
        diff = len(recent) - len(before)
        if (q.intent == "rising" and diff > 0 and len(recent) >= 2) or (q.intent == "falling" and diff < 0
                                                                        and len(before) >= 2):
            changes.append((label, recent, before, diff))
    changes.sort(key=lambda c: (-abs(c[3]), c[0]))
    what = q.describe()
    word = "増えた" if q.intent == "rising" else "減った"
    if not changes:
        return LogbookAnswer(f"{rule}。{what}で{word}ものはありません。", [], True, q, [], {"changes": []})
    parts: list[str] = []
    ids: list[str] = []
    for label, recent, before, _diff in changes[:5]:
        cited = recent if q.intent == "rising" else before
        parts.append(f"「{label}」{len(before)}件→{len(recent)}件（{' '.join('#' + d.id[:8] for d in cited[:5])}）")
        ids.extend(d.id for d in cited)
    figures = {"changes": [{"label": c[0], "recent": len(c[1]), "before": len(c[2]),
                            "ids": [d.id for d in (c[1] if q.intent == "rising" else c[2])]} for c in changes[:5]]}
    keep = set(ids)
    rows = [_row(d, analysis) for d in sorted(selected, key=lambda d: d.at, reverse=True) if d.id in keep]
    return LogbookAnswer(f"{rule}。{what}で{word}のは " + "、".join(parts) + " です。", ids, True, q, rows, figures)


__all__ = ["LogbookAnswer", "LogbookQuery", "RecordRow", "ask_logbook", "parse_question"]
