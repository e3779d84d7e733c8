"""Document parsing for the knowledge base: any supported file → title + chunks with locations.

`parse_document` never lets a library exception escape: every failure (missing, locked, too large, broken,
encrypted, binary, empty) becomes a ParseError with a Japanese and an English reason, so an indexing run
records it and goes on.
"""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Callable
from pathlib import Path

from kb.parsing.types import Chunk, ParsedDocument, ParseError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Chunk",
    "ParseError",
    "ParsedDocument",
    "is_ignored",
    "parse_document",
]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".pdf", ".docx", ".xlsx", ".xlsm", ".pptx", ".txt", ".md", ".markdown", ".csv", ".tsv", ".html", ".htm"}
)
_DOC_TYPES = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".pptx": "pptx",
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".csv": "csv",
    ".tsv": "csv",
    ".html": "html",
    ".htm": "html",
}
_IGNORED_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"})
_IGNORED_PATTERNS = ("~$*", "*.tmp", "~*.tmp", ".~lock.*#")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_ignored(path: Path) -> bool:
    """True for noise that is skipped quietly: Office lock files, OS thumbnails, hidden and temporary files."""
    name = path.name
    lower = name.lower()
    if not name or lower in _IGNORED_NAMES or name.startswith("."):
        return True
    return any(fnmatch.fnmatchcase(lower, pattern) for pattern in _IGNORED_PATTERNS)


def _size_text(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n:,} bytes"


def _read_bytes(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read()


def _parse_text_family(path: Path, doc_type: str) -> ParsedDocument:
    from kb.parsing.text import parse_text

    return parse_text(path, _read_bytes(path), doc_type)


def _parser_for(doc_type: str) -> Callable[[Path, str], ParsedDocument]:
    if doc_type in ("txt", "md"):
        return _parse_text_family
    if doc_type == "csv":
        from kb.parsing.csv_ import parse_csv

        return lambda path, _t: parse_csv(path, _read_bytes(path))
    if doc_type == "html":
        from kb.parsing.html import parse_html

        return lambda path, _t: parse_html(path, _read_bytes(path))
    if doc_type == "pdf":
        from kb.parsing.pdf import parse_pdf

        return lambda path, _t: parse_pdf(path)
    if doc_type == "docx":
        from kb.parsing.docx_ import parse_docx

        return lambda path, _t: parse_docx(path)
    if doc_type == "xlsx":
        from kb.parsing.xlsx import parse_xlsx

        return lambda path, _t: parse_xlsx(path)
    if doc_type == "pptx":
        from kb.parsing.pptx_ import parse_pptx

        return lambda path, _t: parse_pptx(path)
    raise ParseError("対応していないファイル形式です", "Unsupported file type")


def _check_container(path: Path, doc_type: str) -> None:
    """Office files are ZIPs; an OLE container under an Office name is encrypted or an old .doc/.xls."""
    if doc_type not in ("docx", "xlsx", "pptx"):
        return
    with path.open("rb") as f:
        head = f.read(8)
    if head == _OLE_MAGIC:
        raise ParseError(
            "パスワードで保護されたOfficeファイル、または旧形式（.doc/.xls/.ppt）のファイルです",
            "The Office file is password-protected, or is an old binary (.doc/.xls/.ppt) file",
        )
    if not head.startswith(b"PK"):
        raise ParseError(
            "Officeファイルとして読めません（ZIP形式ではありません。壊れているか、拡張子が違います）",
            "Not a valid Office file (not a ZIP container: damaged or wrongly named)",
        )


def parse_document(path: Path, max_bytes: int = 200_000_000) -> ParsedDocument:
    """Parse one file into a ParsedDocument; raise ParseError (reason_ja, reason_en) when it cannot be indexed."""
    path = Path(path)
    suffix = path.suffix.lower()
    doc_type = _DOC_TYPES.get(suffix)
    if doc_type is None:
        raise ParseError(
            f"対応していないファイル形式です（{suffix or '拡張子なし'}）",
            f"Unsupported file type ({suffix or 'no extension'})",
        )
    try:
        st = path.stat()
        if path.is_dir():
            raise ParseError("フォルダーです（ファイルではありません）", "This is a folder, not a file")
        if st.st_size == 0:
            raise ParseError("ファイルが空です（0バイト）", "The file is empty (0 bytes)")
        if st.st_size > max_bytes:
            raise ParseError(
                f"ファイルが大きすぎます（{_size_text(st.st_size)}、上限 {_size_text(max_bytes)}）",
                f"The file is too large ({_size_text(st.st_size)}; limit {_size_text(max_bytes)})",
            )
        _check_container(path, doc_type)
        with warnings.catch_warnings():
            # Libraries warn about what they skip in real-world files (openpyxl: unknown extensions, dangling
            # defined names; BeautifulSoup: XHTML parsed as HTML). The text is still read correctly, and a
            # warning must neither reach the user's console nor turn into an error where warnings are errors.
            warnings.simplefilter("ignore")
            doc = _parser_for(doc_type)(path, doc_type)
    except ParseError:
        raise
    except FileNotFoundError:
        raise ParseError(
            "ファイルが見つかりません（移動または削除されました）",
            "File not found (it was moved or deleted)",
            transient=True,
        ) from None
    except PermissionError:
        raise ParseError(
            "ファイルを開けません（アクセス権がないか、他のアプリが使用中です）",
            "Cannot open the file (no permission, or another application has it locked)",
            transient=True,
        ) from None
    except IsADirectoryError:
        raise ParseError("フォルダーです（ファイルではありません）", "This is a folder, not a file") from None
    except MemoryError:
        raise ParseError("メモリ不足のため読めません", "Not enough memory to read the file") from None
    except OSError as e:
        raise ParseError(
            f"ファイルを読めません（{e.strerror or e}）", f"Cannot read the file ({e})", transient=True
        ) from None
    except RecursionError:
        raise ParseError(
            "ファイルの構造が深すぎて読めません", "The file's structure is too deeply nested"
        ) from None
    except Exception as e:  # library errors on damaged files come in many types; none may stop an index run
        raise ParseError(
            "ファイルが壊れているか、形式が正しくないため読めません",
            f"The file is damaged or not a valid {doc_type.upper()} file ({type(e).__name__}: {e})"[:300],
        ) from None
    if not doc.chunks:
        raise ParseError(
            "本文（テキスト）が見つかりません"
            + ("（スキャン画像のみのPDFかもしれません）" if doc_type == "pdf" else ""),
            "No text found" + (" (the PDF may be scanned images only)" if doc_type == "pdf" else ""),
        )
    return doc
