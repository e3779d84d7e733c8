"""Error text for the user, in the current language (kept light: the pages built before the window shows use it)."""

from __future__ import annotations

from ui.i18n import language, register, t

register(
    {
        "記録が見つかりません（別の画面で削除された可能性があります）":
            "Record not found (it may have been deleted elsewhere)",
        "ファイルに書き込めませんでした：": "Could not write the file: ",
    }
)


def describe(exc: BaseException) -> str:
    """A message for the user in the current language: our own errors carry Japanese and English text
    (``message_ja``/``message_en`` in kb and local_models, ``ja``/``en`` in desktop); others get a plain
    description."""
    ja = getattr(exc, "message_ja", None) or getattr(exc, "ja", None)
    en = getattr(exc, "message_en", None) or getattr(exc, "en", None)
    if ja and en:
        return str(en if language() == "en" else ja)
    if isinstance(exc, KeyError):
        return t("記録が見つかりません（別の画面で削除された可能性があります）")
    if isinstance(exc, OSError):
        return t("ファイルに書き込めませんでした：") + (exc.strerror or type(exc).__name__)
    text = str(exc).strip()
    return text or type(exc).__name__
