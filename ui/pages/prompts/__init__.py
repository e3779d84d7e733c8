"""プロンプト集 (prompt library): the team's prompts that work, best first, ready to run on the local model.

"Spreading what works": a colleague's good prompt is one click away for everyone. The page lists the library
(highest rating, then most used), edits a prompt, runs it with the user's text in ``{入力}`` and streams the
model's output, counts each use and takes a 1–5 ★ rating after a run. 書き出し / 読み込み move the library
through a JSON file (a shared folder, a USB stick) with the merge rules of :mod:`desktop.prompt_share`.

First run: an empty library shows a button that adds the starter set (eleven 総務 prompts). It is not added
automatically: a library someone emptied on purpose must stay empty, and remembering "already offered"
would need a setting; the button is one click, and adding the set again never duplicates (fixed ids).

Where things live — the page is a stack of layers, each a subclass of the one before; a widget is built in
:mod:`.view` and connected (``_connect``) in the layer whose action it runs:

- :mod:`.view` — :class:`PromptsView`: toolbar, list and empty state, the 使う and 編集 tabs; the signals.
- :mod:`.running` — :class:`RunActions`: the 使う tab (run on the model, 停止, コピー, ★ rating, model state).
- :mod:`.listing` — :class:`ListActions`: search, tag filter, loading, selection, the editor and 保存.
- :mod:`.controller` — :class:`PromptsPage`: 新規, 削除, 書き出し, 読み込み, the starter set, the page hooks.
- :mod:`.library` — the load in a worker, the run state and a row's texts (no widgets).
- :mod:`.delegate` — :class:`PromptDelegate`, which paints a list row.
"""

from ui.pages.prompts.controller import PromptsPage
from ui.pages.prompts.delegate import PROMPT_ROLE, PromptDelegate
from ui.pages.prompts.library import (
    PLACEHOLDER,
    Library,
    RunState,
    load_library,
    meta_text,
    rating_text,
    row_meta,
)
from ui.pages.prompts.listing import ListActions
from ui.pages.prompts.running import RunActions
from ui.pages.prompts.view import PromptsView

__all__ = [
    "PLACEHOLDER",
    "PROMPT_ROLE",
    "Library",
    "ListActions",
    "PromptDelegate",
    "PromptsPage",
    "PromptsView",
    "RunActions",
    "RunState",
    "load_library",
    "meta_text",
    "rating_text",
    "row_meta",
]
