"""回答 (Answer): search as you type, then a grounded answer with citations that open the source.

Where things live:

- :mod:`.view` — :class:`AnswerView`, the layout (search box, results column, answer card) and how it shows
  hits, an answer and the model's state; it connects nothing.
- :mod:`.controller` — :class:`AnswerPage`, which connects every button, link and timer (``_connect``) to
  its actions: searching, asking, stopping, opening sources, rating, recording, the search log.
- :mod:`.results` — :class:`ResultCard`, one search hit, and :func:`hit_ref` for the source viewer.
- :mod:`.state` — :class:`AnswerState` (what the panel shows) and :func:`answer_events`, the worker-side
  adapter of :meth:`desktop.answering.Answerer.ask`.
"""

from ui.pages.answer.controller import SETTLE_MS, AnswerPage
from ui.pages.answer.results import ResultCard, hit_ref
from ui.pages.answer.state import AnswerState, answer_events, source_ref
from ui.pages.answer.view import CITATION, AnswerView, answer_html

__all__ = [
    "CITATION",
    "SETTLE_MS",
    "AnswerPage",
    "AnswerState",
    "AnswerView",
    "ResultCard",
    "answer_events",
    "answer_html",
    "hit_ref",
    "source_ref",
]
