"""DESIGN.md §1: who may import whom, checked on the source (every import statement, also inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "kb": ("PySide6", "shiboken6", "ui", "desktop", "local_models"),
    "local_models": ("PySide6", "shiboken6", "ui", "desktop", "kb"),
    # desktop reaches Qt only through ui, and ui only from its composition root (DESKTOP_MAY_IMPORT_UI);
    # even there it never imports a widget module itself.
    "desktop": ("PySide6", "shiboken6", "ui"),
}
DESKTOP_MAY_IMPORT_UI = {"desktop/app.py"}
DESKTOP_ROOT_FORBIDDEN = ("PySide6.QtWidgets", "PySide6.QtGui", "PySide6.QtCharts", "PySide6.QtPdfWidgets")
UI_FORBIDDEN = ("sqlite3", "sqlite_utils", "sqlcipher3", "pypdfium2", "docx", "openpyxl", "pptx", "sudachipy")


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _hits(name: str, banned: tuple[str, ...]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def banned_for(package: str, rel: str) -> tuple[str, ...]:
    if package == "desktop" and rel in DESKTOP_MAY_IMPORT_UI:
        return DESKTOP_ROOT_FORBIDDEN
    return FORBIDDEN[package]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_core_packages_keep_their_imports(package: str) -> None:
    bad = []
    for path in sources(package):
        rel = path.relative_to(ROOT).as_posix()
        banned = banned_for(package, rel)
        for name in imports_of(path):
            if _hits(name, banned):
                bad.append(f"{rel}: {name}")
    assert not bad, "import rules of DESIGN.md §1 broken:\n" + "\n".join(bad)


def test_ui_holds_no_sql_and_no_parsing() -> None:
    bad = [
        f"{path.relative_to(ROOT).as_posix()}: {name}"
        for path in sources("ui")
        for name in imports_of(path)
        if _hits(name, UI_FORBIDDEN)
    ]
    assert not bad, "ui/ must call services, not SQL or parsers:\n" + "\n".join(bad)


def test_the_rule_checker_sees_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from PySide6.QtWidgets import QLabel\n    import kb.search\n", encoding="utf-8")
    assert _hits(imports_of(sample)[0], FORBIDDEN["kb"])
    assert _hits(imports_of(sample)[1], FORBIDDEN["local_models"])


def test_only_the_composition_root_of_desktop_reaches_ui() -> None:
    for rel in ("desktop/commands/screenshots.py", "desktop/services.py", "desktop/cli.py"):
        banned = banned_for("desktop", rel)
        assert _hits("ui", banned) and _hits("ui.screenshots", banned) and _hits("PySide6.QtCore", banned)
    root = banned_for("desktop", "desktop/app.py")
    assert not _hits("ui.screenshots", root) and not _hits("ui.main", root)
    assert _hits("PySide6.QtWidgets", root)  # the root hands services to ui; it builds no widget itself
    assert not _hits("uikit", FORBIDDEN["desktop"])  # a prefix of a name is not that package
