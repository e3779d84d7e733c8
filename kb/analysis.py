"""Japanese (and English) text analysis with SudachiPy, the same for documents and queries.

Why it looks like this:
- NFKC first, so full-width ``ＰＣ`` and half-width ``ｶﾅ`` meet their ordinary forms; then Sudachi's
  ``normalized_form()`` folds spelling variants (申込み = 申し込み). Latin words keep their own lowercase
  spelling (Sudachi would turn ``Hello`` into ``ハロー``).
- Whitespace next to Japanese text is removed before analysis: PDF text layers break words with spaces and
  line breaks (「年次有給休 暇」, 「継続24 時間」), and Japanese never separates words with spaces anyway.
- Documents are indexed at Sudachi's finest granularity (SplitMode.A), so 有給 finds 年次有給休暇. Queries are
  read at SplitMode.C and each compound becomes a phrase of its A-parts: 慶弔休暇 matches the adjacent pair
  慶弔 休暇, precisely, and the parts alone still count for something.
- Sudachi refuses inputs over ~49 KB, so long text is cut into pieces at sentence or line ends.
- A Sudachi tokenizer is not thread-safe: :func:`get_analyzer` gives one per thread; the dictionary is shared.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from sudachipy import Dictionary, SplitMode

# Sudachi refuses inputs over 49,149 UTF-8 bytes, and it is fastest on short inputs (measured: 1,000-character
# pieces analyse ~40% faster than 12,000-character ones), so text is fed in pieces cut at sentence ends.
MAX_PIECE_CHARS = 1_000

_CJK = "\u2e80-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# Whitespace runs that touch a Japanese character; whether one is dropped is decided by _drop_gap.
_SQUEEZE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆〇]")
_HIRA = re.compile(r"[\u3041-\u309f]")
_KATA = re.compile(r"[\u30a0-\u30ff]")
_WIDE_PUNCT = re.compile(r"[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
_WORD = re.compile(r"[^\W_]+")
_PIECE_BREAKS = ("\n", "。", ".", " ", "、")

_SKIP_POS0 = frozenset({"補助記号", "空白"})
# Sudachi's word ids of unknown words start here (dictionary 0xF; the low bits are the part of speech).
_OOV_WORD_ID = 0xF000_0000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Query words that ask rather than say what is sought (compared on normalized forms).
QUESTION_WORDS = _words(
    "何 なに なん 何日 何時 何回 何円 何人 何歳 何度 何時間 何か月 何ヶ月 何年 何分 何枚 何か 幾ら いくら 幾つ いくつ "
    "いつ どこ 何処 誰 だれ どう どの どれ どちら どっち どんな なぜ 何故 どのくらい どれくらい どの位 どれ位"
)
STOP_NOUNS = _words(
    "こと 事 もの 物 ため 為 とき 時 場合 方 件 際 感じ 等 など 辺り 頃 ところ 所 よう 様 "
    "の ん 中 上 下 前 後 以上 以下 以外 内 うち 他 ほか 皆 みんな 自分 私 僕 俺 あなた 当社 弊社 御社 本当 ほんと 実際"
)
STOP_VERBS = _words(
    "する 為る ある 有る 在る いる 居る なる 成る できる 出来る 教える 知る 分かる 分る 解る 判る 思う 言う 云う "
    "くださる 下さる いただく 頂く 戴く もらう 貰う 欲しい 良い いい よい 見る 聞く 調べる 探す 行う 使う "
    "行く 行ける いける 来る 済む 構う 困る 頼む"
)
STOP_ADJ = _words("良い いい よい 無い ない 可能 必要 大丈夫 同じ 様 よう 的")
ENGLISH_STOP = _words(
    "a an the of to in on at for and or is are was were be been do does did what which who whom when where "
    "why how many much i me my we our you your it its this that these those can could should would will "
    "please tell about with from by as there any some"
)
_CONTENT_POS0 = frozenset({"名詞", "動詞", "形容詞", "形状詞", "記号"})


def nfkc(text: str) -> str:
    """NFKC, skipped when the text is already normal (the common case, and a C-speed check)."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def _drop_gap(text: str, start: int, end: int) -> bool:
    """Whether the whitespace ``text[start:end]`` between two characters is noise, not a word boundary.

    Spaces inside Japanese text are noise (「年次有給休 暇」「継続24 時間」) except between two katakana words,
    which Sudachi would fuse into one unknown word. A line break is a real boundary (a heading, a list
    item) unless it cuts a kanji compound or a verb's okurigana (「休\n暇」「申し込\nみ」), as PDF text does.
    """
    a = text[start - 1] if start > 0 else ""
    b = text[end] if end < len(text) else ""
    if not a or not b:
        return True
    if _WIDE_PUNCT.match(a) or _WIDE_PUNCT.match(b):
        return True
    if "\n" in text[start:end] or "\r" in text[start:end]:
        return bool(_HAN.match(a) and (_HAN.match(b) or _HIRA.match(b)))
    return not (_KATA.match(a) and _KATA.match(b))


_WIDE, _HAN_CLS, _HIRA_CLS, _KATA_CLS = 1, 2, 4, 8
_CHAR_CLASS: dict[str, int] = {}


def _char_class(ch: str) -> int:
    """The classes :func:`_drop_gap` asks about, as bits (cached per character)."""
    cls = _CHAR_CLASS.get(ch)
    if cls is None:
        cls = _CHAR_CLASS[ch] = (
            (_WIDE if _WIDE_PUNCT.match(ch) else 0)
            | (_HAN_CLS if _HAN.match(ch) else 0)
            | (_HIRA_CLS if _HIRA.match(ch) else 0)
            | (_KATA_CLS if _KATA.match(ch) else 0)
        )
    return cls


def _gaps(text: str) -> list[tuple[int, int]]:
    """The whitespace runs :func:`_drop_gap` drops, as (start, end).

    The same decision as ``_drop_gap`` inlined with cached character classes: every line break of every
    indexed chunk passes through here, and the regex calls per gap were most of ``squeeze``'s cost.
    """
    out: list[tuple[int, int]] = []
    n = len(text)
    classes = _CHAR_CLASS
    for m in _SQUEEZE.finditer(text):
        a, b = m.span()
        if a == 0 or b == n:
            out.append((a, b))
            continue
        ca = classes.get(text[a - 1])
        if ca is None:
            ca = _char_class(text[a - 1])
        cb = classes.get(text[b])
        if cb is None:
            cb = _char_class(text[b])
        if (ca | cb) & _WIDE:
            out.append((a, b))
        elif "\n" in m.group() or "\r" in m.group():
            if ca & _HAN_CLS and cb & (_HAN_CLS | _HIRA_CLS):
                out.append((a, b))
        elif not (ca & cb & _KATA_CLS):
            out.append((a, b))
    return out


def squeeze(text: str) -> str:
    """Remove whitespace that is noise inside Japanese text (see :func:`_drop_gap`)."""
    gaps = _gaps(text)
    if not gaps:
        return text
    out: list[str] = []
    pos = 0
    for a, b in gaps:
        out.append(text[pos:a])
        pos = b
    out.append(text[pos:])
    return "".join(out)


def compact(text: str) -> str:
    """The form used for exact-string checks: NFKC, lowercase, all whitespace removed."""
    return "".join(nfkc(text).lower().split())


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"


def _pieces(text: str, limit: int = MAX_PIECE_CHARS) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into (offset, piece) parts Sudachi accepts, preferring sentence and line ends.

    Without any such break (a 300,000-character line), cut where a hiragana run ends — usually right after a
    particle — so words are not split; only as a last resort at the limit itself.
    """
    start = 0
    n = len(text)
    while n - start > limit:
        end = start + limit
        lo = start + limit // 2
        cut = -1
        for brk in _PIECE_BREAKS:
            cut = text.rfind(brk, lo, end)
            if cut != -1:
                cut += 1
                break
        if cut == -1:
            for i in range(end, lo, -1):
                if _is_kana(text[i - 1]) and not _is_kana(text[i]):
                    cut = i
                    break
        if cut == -1:
            cut = end
            while cut > start + 1 and unicodedata.combining(text[cut]):
                cut -= 1
        yield start, text[start:cut]
        start = cut
    if start < n:
        yield start, text[start:]


_NFKC_CHAR: dict[str, str] = {}


def normal_map(text: str) -> tuple[str, list[int] | None]:
    """NFKC + squeeze, with a map from each output character back to its index in ``text``.

    ``None`` as map means the identity (nothing changed), which keeps the common case cheap. Characters are
    normalised one by one (cached), so each output character knows where it came from.
    """
    src_map: list[int] | None = None
    if not unicodedata.is_normalized("NFKC", text):
        parts: list[str] = []
        src_map = []
        cache = _NFKC_CHAR
        for i, ch in enumerate(text):
            norm = cache.get(ch)
            if norm is None:
                norm = cache[ch] = unicodedata.normalize("NFKC", ch)
            parts.append(norm)
            if len(norm) == 1:
                src_map.append(i)
            else:
                src_map.extend([i] * len(norm))
        text = "".join(parts)
    gaps = _gaps(text)
    if not gaps:
        return text, src_map
    kept: list[str] = []
    new_map: list[int] = []
    pos = 0
    for a, b in (*gaps, (len(text), len(text))):
        kept.append(text[pos:a])
        new_map.extend(src_map[pos:a] if src_map is not None else range(pos, a))
        pos = b
    return "".join(kept), new_map


@dataclass(frozen=True)
class Span:
    """One analysed term and where it sits in the original text: ``text[start:end]``."""

    term: str
    start: int
    end: int


@dataclass(frozen=True)
class QueryUnit:
    """One word of a query (SplitMode.C) with its fine-grained terms and whether it carries meaning."""

    surface: str
    norm: str
    terms: tuple[str, ...]
    content: bool
    start: int  # offsets in the normalised query string (see :meth:`Analyzer.query_units`)
    end: int
    tail: str = ""  # surface of the last fine-grained part, lowercased: a prefix while the user types
    pos0: str = ""  # Sudachi's top-level part of speech (名詞, 動詞, …)


def analysis_version() -> str:
    """Changes whenever documents analysed before would be analysed differently now (then they are re-read)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        dictionary = version("sudachidict-core")
    except PackageNotFoundError:
        dictionary = "?"
    return f"{ANALYSIS_REVISION}/sudachipy-{version('sudachipy')}/dict-{dictionary}"


# Bump when the analysis of documents changes (squeeze rules, term forms, granularity).
ANALYSIS_REVISION = 2

_dictionary: Dictionary | None = None
_dictionary_lock = threading.Lock()


def _shared_dictionary() -> Dictionary:
    global _dictionary
    with _dictionary_lock:
        if _dictionary is None:
            _dictionary = Dictionary()
        return _dictionary


class Analyzer:
    """Turns text into index terms. Not thread-safe: use :func:`get_analyzer` for this thread's instance."""

    def __init__(self) -> None:
        dictionary = _shared_dictionary()
        # Loading only the fields we read makes analysis about twice as fast.
        self._fine = dictionary.tokenizer(mode=SplitMode.A, fields={"pos", "normalized_form"})
        self._coarse = dictionary.tokenizer(mode=SplitMode.C)
        self._pos_cache: dict[int, tuple[str, ...]] = {}
        self._skip: dict[int, bool] = {}
        self._word_terms: dict[int, list[str]] = {}
        self._dictionary = dictionary

    def _pos(self, pos_id: int) -> tuple[str, ...]:
        pos = self._pos_cache.get(pos_id)
        if pos is None:
            pos = tuple(self._dictionary.pos_of(pos_id) or ("*",))
            self._pos_cache[pos_id] = pos
        return pos

    @staticmethod
    def _terms_of(surface: str, normalized: str) -> list[str]:
        # Latin words keep their own spelling: Sudachi normalises "Hello" to "ハロー".
        term = surface.lower() if surface.isascii() else normalized.lower()
        if term.isalnum():
            return [term]
        # Split what FTS5's tokenizer would split anyway ("3.5", "c++"), so both sides agree.
        return _WORD.findall(term)

    def _tokenize(self, tokenizer: object, text: str) -> Iterator[tuple[int, object]]:
        tok = tokenizer.tokenize  # type: ignore[attr-defined]
        for offset, piece in _pieces(text):
            try:
                morphemes = tok(piece)
            except Exception:  # Sudachi rejected the piece (should not happen after _pieces): halve it
                if len(piece) < 2:
                    continue
                half = len(piece) // 2
                yield from ((offset + o, m) for o, m in self._tokenize(tokenizer, piece[:half]))
                yield from ((offset + half + o, m) for o, m in self._tokenize(tokenizer, piece[half:]))
                continue
            for m in morphemes:
                yield offset, m

    def _morpheme_lists(self, tokenizer: object, text: str) -> list[object]:
        """Sudachi's morpheme lists for the pieces of ``text`` (no offsets: the index needs none)."""
        tok = tokenizer.tokenize  # type: ignore[attr-defined]
        out: list[object] = []
        for _, piece in _pieces(text):
            try:
                out.append(tok(piece))
            except Exception:  # Sudachi rejected the piece (should not happen after _pieces): halve it
                out.append([m for _, m in self._tokenize(tokenizer, piece)])
        return out

    def index_terms(self, text: str) -> list[str]:
        """All terms of ``text`` in order (for the index): punctuation and whitespace dropped.

        This is the indexing hot loop (one pass per morpheme of every document), so a dictionary word costs
        one call into Sudachi (``word_id``) and one dict lookup: a word id has one part of speech and one
        normalised form, so the skip decision and the terms are cached per word id (an empty list: skipped).
        Unknown words (Sudachi gives them the id 0xF0000000 + part of speech) keep their own surface.
        """
        text = squeeze(nfkc(text))
        out: list[str] = []
        extend = out.extend
        skip_of = self._skip
        word_terms = self._word_terms
        for morphemes in self._morpheme_lists(self._fine, text):
            for m in morphemes:  # type: ignore[attr-defined]
                word_id = m.word_id()
                terms = word_terms.get(word_id)
                if terms is not None:
                    extend(terms)
                    continue
                pos_id = m.part_of_speech_id()
                skip = skip_of.get(pos_id)
                if skip is None:
                    skip = skip_of[pos_id] = self._pos(pos_id)[0] in _SKIP_POS0
                if word_id >= _OOV_WORD_ID:
                    if not skip:
                        extend(self._terms_of(m.surface(), m.surface()))
                    continue
                terms = [] if skip else self._terms_of(m.surface(), m.normalized_form())
                if len(word_terms) < 500_000:
                    word_terms[word_id] = terms
                extend(terms)
        return out

    def index_text(self, text: str) -> str:
        """``index_terms`` joined with spaces: what goes into an FTS5 column."""
        return " ".join(self.index_terms(text))

    def spans(self, text: str) -> list[Span]:
        """Terms with their positions in the original ``text`` (for snippets and highlights)."""
        normal, back = normal_map(text)
        out: list[Span] = []
        for offset, m in self._tokenize(self._fine, normal):
            if self._pos(m.part_of_speech_id())[0] in _SKIP_POS0:  # type: ignore[attr-defined]
                continue
            terms = self._terms_of(m.surface(), m.normalized_form())  # type: ignore[attr-defined]
            if not terms:
                continue
            a = offset + m.begin()  # type: ignore[attr-defined]
            b = offset + m.end()  # type: ignore[attr-defined]
            if back is not None:
                a, b = back[a], back[b - 1] + 1
            for term in terms:
                out.append(Span(term, a, b))
        return out

    def query_units(self, query: str) -> list[QueryUnit]:
        """The words of a query with a verdict on each: content (search it) or function/question word.

        Offsets refer to ``squeeze(nfkc(query))``.
        """
        text = squeeze(nfkc(query))
        units: list[QueryUnit] = []
        for offset, m in self._tokenize(self._coarse, text):
            pos = m.part_of_speech()  # type: ignore[attr-defined]
            if pos[0] in _SKIP_POS0:
                continue
            surface = m.surface()  # type: ignore[attr-defined]
            norm = m.normalized_form()  # type: ignore[attr-defined]
            parts = m.split(SplitMode.A)  # type: ignore[attr-defined]
            terms: list[str] = []
            tail = surface
            if len(parts) > 1:
                for p in parts:
                    if p.part_of_speech()[0] not in _SKIP_POS0:
                        terms.extend(self._terms_of(p.surface(), p.normalized_form()))
                        tail = p.surface()
            else:
                terms = self._terms_of(surface, norm)
            if not terms:
                continue
            start = offset + m.begin()  # type: ignore[attr-defined]
            end = offset + m.end()  # type: ignore[attr-defined]
            content = _is_content(pos, norm, surface)
            units.append(QueryUnit(surface, norm, tuple(terms), content, start, end, tail.lower(), pos[0]))
        return units


def _is_content(pos: tuple[str, ...], norm: str, surface: str) -> bool:
    """Whether a query word says what is sought (nouns, verbs, numbers) rather than how it is asked."""
    if pos[0] not in _CONTENT_POS0:
        return False
    low = nfkc(norm).lower()
    if surface.isascii():
        return surface.lower() not in ENGLISH_STOP
    if low in QUESTION_WORDS or low.startswith("何"):
        return False
    if pos[0] == "名詞":
        return low not in STOP_NOUNS
    if pos[0] == "動詞":
        return low not in STOP_VERBS
    return low not in STOP_ADJ


_local = threading.local()


def get_analyzer() -> Analyzer:
    """This thread's analyzer (Sudachi tokenizers must not be shared between threads)."""
    analyzer: Analyzer | None = getattr(_local, "analyzer", None)
    if analyzer is None:
        analyzer = Analyzer()
        _local.analyzer = analyzer
    return analyzer
