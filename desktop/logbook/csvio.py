"""CSV that Excel opens correctly, and that imports back exactly (DESIGN.md §5).

Decisions:
- UTF-8 with BOM by default (Excel detects it), cp932 as an option for old tools; CRLF; Japanese header row.
- Formula injection (OWASP "CSV injection"): a cell starting with ``= + - @``, tab or CR gets a ``'``
  prefix. So the prefix can be undone *exactly*, a cell that itself starts with ``'`` gets one too,
  and import removes exactly one leading ``'`` from every cell. ``'=1`` → ``''=1`` → ``'=1``.
- cp932 cannot encode every character (emoji, some symbols). ``errors="strict"`` (default) stops
  with a message naming the row, column and character, and writes nothing; ``errors="replace"``
  writes ``?`` instead and reports how many cells lost characters. The usual Unicode⇄cp932 mapping
  differences (〜 U+301C → ～ U+FF5E, − U+2212 → － U+FF0D, …) are mapped to the look-alike cp932 has
  and counted, since every Windows tool does the same.
- Import detects the encoding: BOM → UTF-8; valid UTF-8 → UTF-8; else cp932. Any row error stops the
  import with every row's problem listed, and nothing is imported.
- Files are written to a temp file and renamed, so a failed export never leaves half a file.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.logbook.records import Inquiry, Note, ValidationError
from desktop.logbook.tabular import ParsedRows, RowError, header, map_header, parse_rows, record_cells

ENCODINGS = ("utf-8-sig", "cp932")
ERRORS = ("strict", "replace")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "'")
# Characters whose Unicode form cp932 lacks but whose look-alike it has (what Windows itself maps).
CP932_LOOKALIKES = {
    "\u301c": "\uff5e",  # WAVE DASH 〜 → FULLWIDTH TILDE ～
    "\u2016": "\u2225",  # DOUBLE VERTICAL LINE ‖ → PARALLEL TO ∥
    "\u2212": "\uff0d",  # MINUS SIGN − → FULLWIDTH HYPHEN-MINUS －
    "\u00a2": "\uffe0",  # ¢ → ￠
    "\u00a3": "\uffe1",  # £ → ￡
    "\u00ac": "\uffe2",  # ¬ → ￢
    "\u2014": "\u2015",  # EM DASH — → HORIZONTAL BAR ―
}
_LOOKALIKE_RE = re.compile("[" + "".join(CP932_LOOKALIKES) + "]")
csv.field_size_limit(64 * 1024 * 1024)


class CsvEncodingError(ValidationError):
    """A cell cannot be written in the chosen encoding (``errors="strict"``)."""


class ImportFileError(ValidationError):
    """The file cannot be imported; ``errors`` lists each row's problem. Nothing was imported."""

    def __init__(self, ja: str, en: str, errors: list[RowError] | None = None) -> None:
        super().__init__(ja, en)
        self.errors = errors or []


@dataclass
class ExportResult:
    path: Path
    rows: int
    encoding: str
    substituted: int = 0  # characters mapped to their cp932 look-alike
    replaced_cells: int = 0  # cells where characters became "?" (errors="replace")


@dataclass
class ReadResult:
    parsed: ParsedRows
    encoding: str
    warnings: list[str] = field(default_factory=list)


def neutralize(value: str) -> str:
    """Prefix ``'`` so a spreadsheet shows the text instead of running it as a formula."""
    return "'" + value if value.startswith(_DANGEROUS) else value


def unneutralize(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def write_atomic(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_csv(
    kind: str,
    records: Iterable[Note | Inquiry],
    path: Path,
    *,
    encoding: str = "utf-8-sig",
    errors: str = "strict",
) -> ExportResult:
    """Write ``records`` as CSV. Raises :class:`CsvEncodingError` (nothing written) in strict cp932 mode."""
    if encoding not in ENCODINGS:
        raise ValidationError(
            f"文字コード「{encoding}」は使えません。使える値: {' / '.join(ENCODINGS)}",
            f"encoding {encoding!r} is not supported; use one of {', '.join(ENCODINGS)}",
        )
    if errors not in ERRORS:
        raise ValidationError(f"errors は {' / '.join(ERRORS)} のどれかです", f"errors must be one of {ERRORS}")
    result = ExportResult(Path(path), 0, encoding)
    heads = header(kind)

    def cells_of(row: list[str], row_no: int) -> list[str]:
        if encoding == "utf-8-sig":
            return row
        if not _LOOKALIKE_RE.search(joined := "".join(row)):
            try:
                joined.encode("cp932")
                return row  # the common case: the whole row is plain cp932
            except UnicodeEncodeError:
                pass
        out = []
        for col, cell in zip(heads, row, strict=True):
            for src, dst in CP932_LOOKALIKES.items():
                if src in cell:
                    result.substituted += cell.count(src)
                    cell = cell.replace(src, dst)
            try:
                cell.encode("cp932")
            except UnicodeEncodeError as exc:
                if errors == "strict":
                    bad = exc.object[exc.start : exc.end]
                    raise CsvEncodingError(
                        f"{row_no}行目「{col}」の文字「{bad}」(U+{ord(bad[0]):04X}) は cp932 (Shift_JIS) で書けません。"
                        "UTF-8 で出力するか、errors=replace を指定してください",
                        f"row {row_no}, column {col!r}: {bad!r} (U+{ord(bad[0]):04X}) cannot be written in cp932; "
                        "export as UTF-8 or pass errors=replace",
                    ) from None
                cell = cell.encode("cp932", errors="replace").decode("cp932")
                result.replaced_cells += 1
            out.append(cell)
        return out

    def write(fh: io.BufferedWriter) -> None:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="", write_through=True)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(cells_of(heads, 1))
        for row_no, record in enumerate(records, start=2):
            writer.writerow(cells_of([neutralize(c) for c in record_cells(kind, record)], row_no))
            result.rows += 1
        text.flush()
        text.detach()

    write_atomic(Path(path), write)
    return result


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp932")
        return "cp932"
    except UnicodeDecodeError:
        raise ValidationError(
            "文字コードが分かりません(UTF-8 か Shift_JIS/cp932 で保存してください)",
            "unknown encoding: save the file as UTF-8 or Shift_JIS (cp932)",
        ) from None


def read_csv(kind: str, path: Path) -> ReadResult:
    """Parse a CSV file into records (not stored yet). Raises :class:`ImportFileError` on any bad row."""
    data = Path(path).read_bytes()
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        head = next(reader)
    except StopIteration:
        raise ImportFileError("ファイルが空です", "the file is empty") from None
    try:
        keys, unknown = map_header(kind, [unneutralize(c) for c in head])
    except ValidationError as exc:
        raise ImportFileError(exc.ja, exc.en) from None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            rows.append((reader.line_num, [unneutralize(c) for c in cells]))
    except csv.Error as exc:
        raise ImportFileError(
            f"CSVとして読めません({reader.line_num}行目付近)", f"not valid CSV near line {reader.line_num}: {exc}"
        ) from None
    parsed = parse_rows(kind, keys, rows)
    parsed.ignored_columns = unknown
    if parsed.errors:
        raise_row_errors(parsed.errors)
    warnings = [f"無視した列 / ignored columns: {', '.join(unknown)}"] if unknown else []
    return ReadResult(parsed, encoding, warnings)


def raise_row_errors(errors: list[RowError]) -> None:
    shown = "; ".join(f"{e.row}行目 / row {e.row}: {e.message}" for e in errors[:10])
    more = f" ほか{len(errors) - 10}件 / and {len(errors) - 10} more" if len(errors) > 10 else ""
    raise ImportFileError(
        f"{len(errors)}行に問題があるため、何も取り込んでいません: {shown}{more}",
        f"nothing was imported: {len(errors)} row(s) have problems",
        errors,
    )
