"""The logbook speaks: themes and recurring issues over notes and inquiries, kept up to date.

:class:`LogbookAnalysis` is what the CLI and the 分析 page call. :meth:`~LogbookAnalysis.refresh_steps`
is a generator (progress out, a ``threading.Event`` to cancel): the first time, or when asked
(``recompute=True``), it clusters every record (:mod:`desktop.themes`); after that, records added or
changed since are read and each joins its nearest theme, and the model is saved in the logbook
(:class:`desktop.insights_store.InsightsCache`). Figures (counts by month, department, place; open vs
done; trend) are computed from the records every time, so they are never stale.

Anonymity: the analysis never reads the speaker or requester columns; a quote from an anonymous note is
attributed to 「匿名」 only (no department, place or date beside it).

Trend rule (``trend``): compare the 3 months ending with the reference month (the period's last month)
with the 3 months before. **rising** when the recent count is at least 3 and at least 1.5 × the earlier
count; **falling** when the earlier count is at least 3 and the recent count at most half of it;
otherwise **steady**.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from desktop.insights_store import Doc, InsightsCache, load_docs, record_versions
from desktop.logbook import Logbook
from desktop.logbook.records import now_iso
from desktop.themes import (
    CancelledError,
    LexicalVectorizer,
    Step,
    ThemeModel,
    check_cancel,
    cluster_steps,
    keyword_words,
    top_keywords,
)

log = logging.getLogger(__name__)

MIN_THEME = 3  # records a theme needs before it is shown
QUOTES = 3
EXCERPT = 80
SEVERAL_DEPARTMENTS = 3
KEYWORD_SAMPLE = 200  # members read for a theme's keywords (a big theme's words show in any 200 of them)
SAVE_EVERY = 50  # records changed since the themes model was last saved
SAVE_AFTER_S = 120.0
TREND_RULE = (
    "直近3か月（基準月を含む）と、その前の3か月の件数を比べます。直近が3件以上かつ前の1.5倍以上なら「増加」、"
    "前が3件以上かつ直近がその半分以下なら「減少」、それ以外は「横ばい」。 / Rising: the last 3 months (ending "
    "with the reference month) have at least 3 records and at least 1.5x the 3 months before; falling: the "
    "earlier 3 months have at least 3 and the last 3 at most half of them; otherwise steady."
)
TRENDS_JA = {"rising": "増加", "steady": "横ばい", "falling": "減少"}


@dataclass
class Quote:
    id: str
    text: str
    attribution: str  # department, or 「匿名」 for an anonymous note — never a name


@dataclass
class Theme:
    id: str
    label: str
    label_source: str  # "model" or "keywords"
    keywords: list[str]
    ids: list[str]
    count: int
    notes: int
    inquiries: int
    months: dict[str, int]
    departments: dict[str, int]
    places: dict[str, int]
    categories: dict[str, int]
    first: str
    last: str
    open: int
    done: int
    trend: str
    quotes: list[Quote] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RecurringIssue:
    theme_id: str
    label: str
    place: str
    ids: list[str]  # every note of the issue at this place, oldest first
    departments: list[str]
    reasons: list[str]  # "reopened" (reported again after 対応済) and/or "departments" (several reported it)
    reopened_after: list[str]  # the 対応済 notes that were reported again
    last: str
    open: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RefreshResult:
    full: bool
    records: int
    changed: int
    removed: int
    seconds: float
    themes: int


def months_back(month: str, n: int) -> str:
    y, m = int(month[:4]), int(month[5:7])
    total = y * 12 + (m - 1) - n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def trend_of(months: dict[str, int], reference_month: str) -> str:
    """The rule in the module docstring (and :data:`TREND_RULE`)."""
    recent = sum(months.get(months_back(reference_month, i), 0) for i in range(3))
    before = sum(months.get(months_back(reference_month, i), 0) for i in range(3, 6))
    if recent >= 3 and recent >= 1.5 * before:
        return "rising"
    if before >= 3 and recent <= 0.5 * before:
        return "falling"
    return "steady"


def excerpt(text: str, width: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _has_japanese(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA")) for ch in text)


def label_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"label": {"type": "string", "minLength": 2, "maxLength": 24}},
        "required": ["label"],
        "additionalProperties": False,
    }


def model_label(runtime: Any, keywords: Sequence[str], quotes: Sequence[str], timeout: float = 60.0) -> str | None:
    """A short Japanese label from the model (JSON-schema output), or None when it gives no usable one.

    Usable: 2–20 characters with at least one Japanese character (a label for Japanese staff; the tiny test
    model writes English and falls back to keywords)."""
    if runtime is None or getattr(runtime, "state", "none") != "ready":
        return None
    from local_models.runtime import ModelError

    system = ("職場の声をまとめる見出しを付けます。JSONだけを出力してください。"
              "label は内容を表す短い日本語の見出し（12文字程度の体言止め、人名は書かない）。")
    user = "キーワード: " + "、".join(keywords) + "\n声:\n" + "\n".join(f"- {q}" for q in quotes)
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": "キーワード: 照明、暗い、廊下\n声:\n- 2Fの廊下の照明が暗い\n- 廊下が暗くて歩きにくい"},
        {"role": "assistant", "content": '{"label": "2F廊下の照明が暗い"}'},
        {"role": "user", "content": user},
    ]
    try:
        raw = runtime.complete_json(messages, label_schema(), max_tokens=48, timeout=timeout)
    except (ModelError, TimeoutError) as exc:
        log.info("theme label fell back to keywords: %s", exc)
        return None
    label = str(raw.get("label", "")).strip() if isinstance(raw, dict) else ""
    if 2 <= len(label) <= 20 and _has_japanese(label):
        return label
    return None


class LogbookAnalysis:
    """Themes, recurring issues (and, through :mod:`desktop.faq`, FAQ candidates) for one logbook.

    ``vectorizer``: a :class:`desktop.themes.Vectorizer`; lexical by default. ``runtime``: a
    :class:`local_models.ModelRuntime` for labels (optional; keywords otherwise).
    """

    def __init__(self, book: Logbook, vectorizer: Any = None, runtime: Any = None, today: date | None = None):
        self.book = book
        self.vectorizer = vectorizer if vectorizer is not None else LexicalVectorizer()
        self.runtime = runtime
        self.today = today
        self.cache = InsightsCache(book)
        self.model: ThemeModel | None = None
        self.docs: list[Doc] = []
        self._lexicon: LexicalVectorizer | None = None  # keywords (when the vectoriser is not lexical)
        self._by_theme: dict[int, list[Doc]] = {}
        self._keyword_labels: dict[int, str] = {}
        self._memo: dict[tuple[Any, ...], Any] = {}  # themes()/recurring() until the next refresh
        # A record's label words, by (key, updated_at): Sudachi reads each record once per process, not once per
        # theme list, date range and recurring place (415,000 readings per refresh at 100,000 notes before).
        self._words: dict[tuple[str, str], list[tuple[str, tuple[str, ...]]]] = {}
        self._unsaved = 0
        self._saved_at = time.monotonic()
        self._saved_model: ThemeModel | None = None
        self.last_refresh: RefreshResult | None = None

    @property
    def cache_name(self) -> str:
        return f"themes:{self.vectorizer.name}"

    # ---- refresh -------------------------------------------------------------------------------------
    def refresh(self, recompute: bool = False, cancel: threading.Event | None = None) -> RefreshResult:
        steps = self.refresh_steps(recompute, cancel)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                result: RefreshResult = stop.value
                return result

    def refresh_steps(
        self, recompute: bool = False, cancel: threading.Event | None = None, labels: bool = True
    ) -> Generator[Step, None, RefreshResult]:
        """Bring the themes up to date; yields ``(stage, done, total)``. Nothing is saved when cancelled."""
        t0 = time.perf_counter()
        yield ("read", 0, 1)
        if not recompute and self.model is not None:
            model: ThemeModel | None = self.model
            self.docs = self._changed_docs()
        else:
            self.docs = load_docs(self.book)
            model = None if recompute else self._load_model()
            self._saved_model = model
        full = model is None
        if model is None:
            model = yield from self._compute(self.docs, cancel)
            changed, removed = len(self.docs), 0
        else:
            changed, removed = yield from self._update(model, self.docs, cancel)
        self.model = model
        self._by_theme = self._group(model, self.docs)
        self._keyword_labels = {}
        self._memo = {}
        labelled = (yield from self._label(model, cancel)) if labels else 0
        check_cancel(cancel)
        self._unsaved += changed + removed
        if full or labelled or self._unsaved >= SAVE_EVERY or time.monotonic() - self._saved_at > SAVE_AFTER_S:
            self.flush(model)
        shown = sum(1 for s in model.sizes if s >= MIN_THEME)
        result = RefreshResult(full, len(self.docs), changed, removed, time.perf_counter() - t0, shown)
        self.last_refresh = result
        log.info("themes refreshed: full=%s records=%d changed=%d removed=%d in %.2f s",
                 full, result.records, changed, removed, result.seconds)
        return result

    def _changed_docs(self) -> list[Doc]:
        """This process's records brought up to date: only what was added, changed or removed is read."""
        versions = record_versions(self.book)
        have = {d.key: d for d in self.docs}
        stale = [k for k, v in versions.items() if k not in have or have[k].updated_at != v]
        gone = [k for k in have if k not in versions]
        if not stale and not gone:
            return self.docs
        for d in load_docs(self.book, stale):
            have[d.key] = d
        for k in gone:
            del have[k]
        return sorted(have.values(), key=lambda d: (d.at, d.key))

    def flush(self, model: ThemeModel | None = None) -> None:
        """Save the themes model if it changed since it was last saved (the app calls this on close).

        Saving is deferred for small changes (:data:`SAVE_EVERY`, :data:`SAVE_AFTER_S`): at 100,000 records
        it costs more than the update itself. Nothing is lost by the delay — a record the saved model has not
        seen (its ``updated_at`` differs) simply joins its theme again at the next refresh."""
        model = model if model is not None else self.model
        if model is None or (self._unsaved == 0 and model is self._saved_model):
            return
        self._save(model)
        self._unsaved = 0
        self._saved_at = time.monotonic()
        self._saved_model = model

    def ensure(self, cancel: threading.Event | None = None) -> None:
        """Refresh when nothing was loaded yet in this process (cheap when the cache is current)."""
        if self.model is None:
            self.refresh(cancel=cancel)

    def _vectors(self, texts: Sequence[str], cancel: threading.Event | None) -> Iterator[Step | np.ndarray]:
        step = 2000
        for i in range(0, len(texts), step):
            check_cancel(cancel)
            yield ("vectorise", i, len(texts))
            yield self.vectorizer.transform(texts[i : i + step])

    def _transform(self, texts: Sequence[str], cancel: threading.Event | None) -> Generator[Step, None, np.ndarray]:
        parts: list[np.ndarray] = []
        for item in self._vectors(texts, cancel):
            if isinstance(item, np.ndarray):
                parts.append(item)
            else:
                yield item
        return np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)

    def _compute(self, docs: list[Doc], cancel: threading.Event | None) -> Generator[Step, None, ThemeModel]:
        texts = [d.text for d in docs]
        yield ("analyse", 0, len(texts))
        self.vectorizer.fit(texts, cancel)
        x = yield from self._transform(texts, cancel)
        result = yield from cluster_steps(x, self.vectorizer.threshold, min_size=2, cancel=cancel)
        old = self.model or self._load_model()
        model = ThemeModel(self.vectorizer, result.sums, result.sizes, computed_at=now_iso())
        for i, d in enumerate(docs):
            model.members[d.key] = int(result.labels[i])
            model.scores[d.key] = float(result.scores[i])
            model.seen[d.key] = d.updated_at
        self._inherit_names(model, old)
        return model

    @staticmethod
    def _inherit_names(model: ThemeModel, old: ThemeModel | None) -> None:
        """A recomputed theme keeps the ID (and model label) of the old theme holding most of its members."""
        if old is None:
            for theme in range(len(model.sizes)):
                model.name_of(theme)
            return
        model.next_name = old.next_name
        by_new: dict[int, Counter[int]] = defaultdict(Counter)
        for key, theme in model.members.items():
            before = old.members.get(key, -1)
            if theme >= 0 and before >= 0:
                by_new[theme][before] += 1
        taken: set[str] = set()
        for theme in np.argsort(-model.sizes, kind="stable"):
            t = int(theme)
            for before, overlap in by_new[t].most_common(1):
                name = old.names.get(before)
                if name and name not in taken and overlap * 2 >= model.sizes[t]:
                    model.names[t] = name
                    taken.add(name)
                    if name in old.labels:
                        model.labels[name] = old.labels[name]
            model.name_of(t)

    def _update(self, model: ThemeModel, docs: list[Doc], cancel: threading.Event | None) -> Generator[Step, None, tuple[int, int]]:
        current = {d.key for d in docs}
        gone = [k for k in model.seen if k not in current]
        for key in gone:
            model.remove(key)
            model.seen.pop(key, None)
        changed = [d for d in docs if model.seen.get(d.key) != d.updated_at]
        if changed:
            if isinstance(self.vectorizer, LexicalVectorizer):
                # new words get the idf of a rare word: the vocabulary grows without a refit
                self.vectorizer.n_docs += sum(1 for d in changed if d.key not in model.seen)
            x = yield from self._transform([d.text for d in changed], cancel)
            for i, d in enumerate(changed):
                model.assign(d.key, x[i])
                model.seen[d.key] = d.updated_at
            for theme in range(len(model.sizes)):
                model.name_of(theme)
        return len(changed), len(gone)

    def _label(self, model: ThemeModel, cancel: threading.Event | None, limit: int = 15
               ) -> Generator[Step, None, int]:
        if self.runtime is None or getattr(self.runtime, "state", "none") != "ready":
            return 0
        done = 0
        todo = [t for t in self._shown(model)[:limit] if model.name_of(t) not in model.labels]
        for i, theme in enumerate(todo):
            check_cancel(cancel)
            yield ("label", i, len(todo))
            members = self._by_theme.get(theme, [])
            label = model_label(self.runtime, self._keywords(members), [excerpt(d.text, 60) for d in
                                                                          self._quotes(model, members)])
            if label:
                model.labels[model.name_of(theme)] = label
                done += 1
        return done

    # ---- persistence -----------------------------------------------------------------------------------
    def _load_model(self) -> ThemeModel | None:
        try:
            got = self.cache.get(self.cache_name)
        except Exception:  # an unreadable cache is recomputed, never a reason to fail
            log.warning("themes cache unreadable; recomputing", exc_info=True)
            return None
        if got is None:
            return None
        meta, blob = got
        if blob is None:
            return None
        try:
            return ThemeModel.from_state(self.vectorizer, meta, InsightsCache.unpack(blob))
        except (KeyError, ValueError, TypeError):
            log.warning("themes cache does not fit this version; recomputing", exc_info=True)
            return None

    def _save(self, model: ThemeModel) -> None:
        meta, blobs = model.to_state()
        self.cache.put(self.cache_name, meta, InsightsCache.pack(dict(blobs)))

    # ---- reading the model -------------------------------------------------------------------------
    def _shown(self, model: ThemeModel) -> list[int]:
        counts = Counter(t for t in model.members.values() if t >= 0)
        return [t for t, n in counts.most_common() if n >= MIN_THEME]

    @staticmethod
    def _group(model: ThemeModel, docs: Sequence[Doc]) -> dict[int, list[Doc]]:
        out: dict[int, list[Doc]] = defaultdict(list)
        for d in docs:
            theme = model.members.get(d.key, -1)
            if theme >= 0:
                out[theme].append(d)
        return out

    def _lex(self) -> LexicalVectorizer:
        if isinstance(self.vectorizer, LexicalVectorizer):
            return self.vectorizer
        if self._lexicon is None:
            self._lexicon = LexicalVectorizer()
            self._lexicon.fit([d.text for d in self.docs])
        return self._lexicon

    def _keywords(self, members: Sequence[Doc], n: int = 5) -> list[str]:
        """Whole words (会議室, not 会議・室) that mark the group; a word is as rare as its rarest part."""
        lex = self._lex()
        parts: dict[str, tuple[str, ...]] = {}
        lists = []
        if len(members) > KEYWORD_SAMPLE and self.model is not None:  # the members nearest the centre tell
            scores = self.model.scores
            members = sorted(members, key=lambda d: -scores.get(d.key, 0.0))[:KEYWORD_SAMPLE]
        for d in members:
            version = (d.key, d.updated_at)
            words = self._words.get(version)
            if words is None:
                words = self._words[version] = keyword_words(d.text)
            parts.update(words)
            lists.append([w for w, _ in words])

        def idf(word: str) -> float:
            return max((lex.idf(t) for t in parts.get(word, ()) if t), default=lex.idf(word))

        return top_keywords(lists, idf, n)

    def _quotes(self, model: ThemeModel, members: Sequence[Doc]) -> list[Doc]:
        """The members closest to the theme's centre, one per wording, other departments first."""
        ranked = sorted(members, key=lambda d: -model.scores.get(d.key, 0.0))
        out: list[Doc] = []
        seen_text: set[str] = set()
        seen_dept: set[str] = set()
        for prefer_new_department in (True, False):
            for d in ranked:
                if len(out) >= QUOTES:
                    return out
                text = excerpt(d.text)
                if d in out or text in seen_text:
                    continue
                if prefer_new_department and d.department in seen_dept:
                    continue
                out.append(d)
                seen_text.add(text)
                seen_dept.add(d.department)
        return out

    @staticmethod
    def quote(d: Doc) -> Quote:
        if d.kind == "note" and d.anonymous:
            return Quote(d.id, excerpt(d.text), "匿名")
        who = d.department or "部署未記入"
        return Quote(d.id, excerpt(d.text), f"{who}（{'問い合わせ' if d.kind == 'inquiry' else '現場の声'}・{d.at[:10]}）")

    def themes(self, date_from: str = "", date_to: str = "", *, min_count: int = MIN_THEME,
               kind: str = "") -> list[Theme]:
        """Themes with their figures over ``date_from``..``date_to`` (inclusive, ``YYYY-MM-DD``), largest first.

        ``kind``: ``"note"`` or ``"inquiry"`` to count only those records."""
        self.ensure()
        key = ("themes", date_from, date_to, min_count, kind, self.today)
        if key not in self._memo:  # the page, the FAQ candidates and the narrative ask for the same lists
            self._memo[key] = self._themes(date_from, date_to, min_count, kind)
        return list(self._memo[key])

    def _themes(self, date_from: str, date_to: str, min_count: int, kind: str) -> list[Theme]:
        model = self.model
        assert model is not None
        groups: dict[int, list[Doc]] = defaultdict(list)
        for d in self.docs:
            theme = model.members.get(d.key, -1)
            if theme < 0 or (kind and d.kind != kind):
                continue
            day = d.at[:10]
            if (date_from and day < date_from) or (date_to and day > date_to):
                continue
            groups[theme].append(d)
        reference = (date_to or (self.today or date.today()).isoformat())[:7]
        out = [self._theme(model, t, members, reference) for t, members in groups.items() if len(members) >= min_count]
        out.sort(key=lambda th: (-th.count, th.id))
        return out

    def _theme(self, model: ThemeModel, theme: int, members: list[Doc], reference_month: str) -> Theme:
        members.sort(key=lambda d: d.at)
        keywords = self._keywords(members)
        name = model.name_of(theme)
        label = model.labels.get(name)
        months = Counter(d.month for d in members)
        return Theme(
            id=name,
            label=label or "・".join(keywords[:3]) or name,
            label_source="model" if label else "keywords",
            keywords=keywords,
            ids=[d.id for d in members],
            count=len(members),
            notes=sum(1 for d in members if d.kind == "note"),
            inquiries=sum(1 for d in members if d.kind == "inquiry"),
            months=dict(sorted(months.items())),
            departments=dict(Counter(d.department or "(未記入)" for d in members).most_common()),
            places=dict(Counter(d.place for d in members if d.place).most_common()),
            categories=dict(Counter(d.category or "(未記入)" for d in members).most_common()),
            first=members[0].at,
            last=members[-1].at,
            open=sum(1 for d in members if d.open),
            done=sum(1 for d in members if not d.open),
            trend=trend_of(months, reference_month),
            quotes=[self.quote(d) for d in self._quotes(model, members)],
        )

    def theme_of(self, record_id: str) -> str | None:
        """The theme ID a record belongs to (None when in none), for the 現場の声 page."""
        self.ensure()
        assert self.model is not None
        for prefix in ("N:", "I:"):
            theme = self.model.members.get(prefix + record_id, -1)
            if theme >= 0:
                return self.model.name_of(theme)
        return None

    # ---- recurring issues --------------------------------------------------------------------------
    def recurring(self, *, several: int = SEVERAL_DEPARTMENTS) -> list[RecurringIssue]:
        """The same problem at the same place reported again after a note of it was marked 対応済, or
        reported by ``several`` departments or more. "Same problem" = same theme (two notes suffice)."""
        self.ensure()
        key = ("recurring", several)
        if key not in self._memo:
            self._memo[key] = self._recurring(several)
        return list(self._memo[key])

    def _recurring(self, several: int) -> list[RecurringIssue]:
        model = self.model
        assert model is not None
        groups: dict[tuple[int, str], list[Doc]] = defaultdict(list)
        for d in self.docs:
            theme = model.members.get(d.key, -1)
            if d.kind == "note" and theme >= 0:
                groups[(theme, d.place)].append(d)
        out: list[RecurringIssue] = []
        for (theme, place), notes in groups.items():
            if len(notes) < 2:
                continue
            notes.sort(key=lambda d: d.at)
            reopened = [a.id for a in notes if a.status == "対応済" and a.resolved_date
                        and any(b.at[:10] > a.resolved_date for b in notes if b is not a)]
            departments = sorted({d.department for d in notes if d.department})
            reasons = (["reopened"] if reopened else []) + (["departments"] if len(departments) >= several else [])
            if not reasons:
                continue
            out.append(RecurringIssue(
                theme_id=model.name_of(theme),
                label=self.theme_label(theme),  # once per theme, not once per place it recurs at
                place=place,
                ids=[d.id for d in notes],
                departments=departments,
                reasons=reasons,
                reopened_after=reopened,
                last=notes[-1].at,
                open=sum(1 for d in notes if d.open),
            ))
        out.sort(key=lambda r: (-len(r.ids), r.last), reverse=False)
        return out

    def recurring_note_ids(self) -> dict[str, RecurringIssue]:
        """Note ID → the recurring issue it is part of (the flag on the 現場の声 page)."""
        return {i: issue for issue in self.recurring() for i in issue.ids}

    # ---- lookups used by the narrative and the questions ---------------------------------------------
    def theme_label(self, theme: int) -> str:
        """The label shown for a theme: the model's, else its top keywords (cached until the next refresh)."""
        model = self.model
        assert model is not None
        name = model.name_of(theme)
        label = model.labels.get(name)
        if label:
            return label
        cached = self._keyword_labels.get(theme)
        if cached is None:
            cached = "・".join(self._keywords(self._by_theme.get(theme, []))[:3]) or name
            self._keyword_labels[theme] = cached
        return cached

    def theme_label_of(self, d: Doc) -> str | None:
        """The label of the shown theme (at least :data:`MIN_THEME` records) ``d`` belongs to, else None."""
        self.ensure()
        model = self.model
        assert model is not None
        theme = model.members.get(d.key, -1)
        if theme < 0 or len(self._by_theme.get(theme, ())) < MIN_THEME:
            return None
        return self.theme_label(theme)

    def doc(self, record_id: str) -> Doc | None:
        self.ensure()
        return next((d for d in self.docs if d.id == record_id), None)


__all__ = [
    "TREND_RULE",
    "CancelledError",
    "LogbookAnalysis",
    "Quote",
    "RecurringIssue",
    "RefreshResult",
    "Theme",
    "trend_of",
]
