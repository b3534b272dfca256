"""The layout shows the architecture (DESIGN.md, issue 10): imports only go down. ``domain/`` imports the
standard library and itself; ``db/`` never reaches services or above; ``services/`` never import the UI, the
CLI, Qt or ``pos_app.app`` (the entry point that opens a store). Function-level imports count too."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

import pos_app

PACKAGE = Path(__file__).resolve().parents[1] / "pos_app"


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (``from a import b`` as ``a`` and ``a.b``), at any depth, with its line."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the file's package
                base = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)[: -node.level]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
    return out


def _under(mod: str, prefixes: tuple[str, ...]) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def offending(layer: str, allowed: tuple[str, ...] = (), forbidden: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, mod in imports(path):
            top = mod.split(".")[0]
            if allowed and not (_under(mod, allowed) or (top != "pos_app" and top in sys.stdlib_module_names)
                                or mod == "pos_app"):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} {mod}")
            if _under(mod, forbidden):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} {mod}")
    return found


UPPER = ("pos_app.ui", "pos_app.cli", "pos_app.app", "PySide6", "shiboken6")


def test_domain_imports_only_the_standard_library_and_the_domain() -> None:
    assert offending("domain", allowed=("pos_app.domain",)) == []


def test_services_never_import_the_ui_the_cli_or_the_app() -> None:
    assert offending("services", forbidden=UPPER) == []


def test_db_never_imports_services_or_above() -> None:
    assert offending("db", forbidden=UPPER + ("pos_app.services", "pos_app.bootstrap", "pos_app.printing")) == []


@pytest.mark.parametrize("source,expected", [
    ("from pos_app.app import open_store\n", ["pos_app.app", "pos_app.app.open_store"]),
    ("def f():\n    from pos_app import cli\n", ["pos_app", "pos_app.cli"]),
    ("import PySide6.QtCore\n", ["PySide6.QtCore"]),
    ("from ..ui import common\n", ["pos_app.ui", "pos_app.ui.common"]),
])
def test_the_scan_sees_every_kind_of_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str,
                                            expected: list[str]) -> None:
    pkg = tmp_path / "pos_app" / "services"
    pkg.mkdir(parents=True)
    (pkg / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "pos_app")
    assert [m for _, m in imports(pkg / "bad.py")] == expected
    assert offending("services", forbidden=UPPER) != []


def test_a_domain_module_importing_a_library_or_a_service_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "pos_app" / "domain"
    pkg.mkdir(parents=True)
    (pkg / "ok.py").write_text("from __future__ import annotations\nimport re\nfrom pos_app.domain import money\n"
                               "from pos_app import domain\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "pos_app")
    assert offending("domain", allowed=("pos_app.domain",)) == []
    (pkg / "bad.py").write_text("import sqlalchemy\nfrom pos_app.services import wallet\n", encoding="utf-8")
    assert offending("domain", allowed=("pos_app.domain",)) == [
        "pos_app/domain/bad.py:1 sqlalchemy", "pos_app/domain/bad.py:2 pos_app.services",
        "pos_app/domain/bad.py:2 pos_app.services.wallet"]



_SQL = re.compile(r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|PRAGMA\s)", re.S)


def sql_and_private_names(root: Path) -> list[str]:
    """String literals that are SQL, ``text(...)`` / ``exec_driver_sql`` calls, and attributes starting
    with ``_`` of anything but ``self``/``cls`` (a library's private names), in the modules under ``root``."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(root)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.match(node.value):
                found.append(f"{where}:{node.lineno}: SQL text {node.value[:40]!r}")
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "text", "exec_driver_sql"):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node.func)}()")
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                found.append(f"{where}:{node.lineno}: private name {ast.unparse(node)}")
    return found


def test_services_write_no_sql_and_use_no_private_names() -> None:
    """DESIGN.md: services never build SQL text and never use a library name that starts with ``_``; SQL
    lives in db/ (its repositories)."""
    assert sql_and_private_names(Path(pos_app.__file__).parent / "services") == []


def test_the_sql_scan_finds_sql_and_private_names(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        'q = "SELECT id FROM member"\nconn.exec_driver_sql("x")\nproc = col.type._cached_bind_processor(d)\n'
        'ok = self._cache\nname = "Select a member"\n',
        encoding="utf-8")
    assert [line.split(": ", 1)[1].split(" ", 1)[0] for line in sql_and_private_names(tmp_path)] == [
        "SQL", "conn.exec_driver_sql()", "private"]
