"""Find the message ids the code uses, statically (an AST scan), for ``make messages`` and the catalogue tests.

An id is used where the code

- passes it as the first argument of a translating call (``translate``, ``tr``, ``_t``, ``Term``, ``Column``) or
  of a ``DomainError`` subclass (``InvalidInput("money.absurd", ...)``), or names it as such a class's ``key``;
- builds it from a value in such a call (``tr(f"pay.{method}")``): the pattern (``pay.{}``) must be listed,
  with every value it takes, in ``pos_app.messages.DYNAMIC_IDS``;
- or holds it as any other string literal (a table of column headers, a mapping), which only keeps an id that
  a catalogue already has (a new id is found by the first two rules).

``extract_ids`` is a Babel extraction method (babel.cfg names it); :func:`scan_tree` gives the whole picture.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parents[1]

#: functions and classes whose first argument is a message id
TRANSLATING_CALLS = frozenset({"translate", "tr", "_t", "Term", "Column", "template"})
#: what a message id looks like: lower-case dotted words (``gift.col.on_hand``, ``cv.layout.58mm``)
ID_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$")

Where = tuple[str, int]


@dataclass
class Scan:
    #: ids passed to a translating call or an error class, or named as an error class's key
    called: dict[str, list[Where]] = field(default_factory=dict)
    #: patterns of ids built in a translating call (``pay.{}``)
    patterns: dict[str, list[Where]] = field(default_factory=dict)
    #: every other string literal that looks like an id
    literals: dict[str, list[Where]] = field(default_factory=dict)


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _pattern(node: ast.expr) -> str | None:
    """``f"pay.{x}"`` or ``"pay." + x`` as ``pay.{}``; None when it is not an id built from a value."""
    if isinstance(node, ast.JoinedStr):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        text = node.left.value + "{}"
    else:
        return None
    return text if "{}" in text and ID_SHAPE.match(text.replace("{}", "x")) else None


def error_classes(trees: Iterable[ast.Module]) -> set[str]:
    """Names of ``DomainError`` and of every class that derives from it, in the scanned code."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
                bases.setdefault(node.name, set()).update(names)
    found = {"DomainError"}
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            if name not in found and parents & found:
                found.add(name)
                grew = True
    return found


def scan_module(tree: ast.Module, where: str, errors: set[str], out: Scan) -> None:
    first_args: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and (_callee(node) in TRANSLATING_CALLS or _callee(node) in errors):
            arg = node.args[0]
            first_args.add(id(arg))
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and ID_SHAPE.match(arg.value):
                out.called.setdefault(arg.value, []).append((where, node.lineno))
            else:
                pat = _pattern(arg)
                if pat is not None:
                    out.patterns.setdefault(pat, []).append((where, node.lineno))
        elif isinstance(node, ast.ClassDef) and node.name in errors:
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "key" for t in stmt.targets) \
                        and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                    first_args.add(id(stmt.value))
                    out.called.setdefault(stmt.value.value, []).append((where, stmt.lineno))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in first_args \
                and ID_SHAPE.match(node.value):
            out.literals.setdefault(node.value, []).append((where, node.lineno))


def package_files(root: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def scan_tree(root: Path = PACKAGE) -> Scan:
    files = package_files(root)
    trees = {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in files}
    errors = error_classes(trees.values())
    out = Scan()
    for p, tree in trees.items():
        scan_module(tree, str(p.relative_to(root.parent)), errors, out)
    return out


def expand(pattern: str, dynamic: dict[str, tuple[str, ...]]) -> list[str]:
    return [pattern.replace("{}", v) for v in dynamic.get(pattern, ())]


def catalogue_ids(lang: str = "en") -> set[str]:
    """The ids a .po source holds (read with Babel)."""
    from babel.messages.pofile import read_po  # noqa: PLC0415

    from pos_app import messages  # noqa: PLC0415

    with messages.po_path(lang).open("rb") as f:
        return {str(m.id) for m in read_po(f) if m.id}


_ERRORS: set[str] | None = None


def extract_ids(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[
        tuple[int, str, str, list[str]]]:
    """Babel extraction method: the message ids one Python file uses (see the module's rules)."""
    from pos_app.messages import DYNAMIC_IDS  # noqa: PLC0415

    global _ERRORS
    if _ERRORS is None:
        _ERRORS = error_classes(ast.parse(p.read_text(encoding="utf-8")) for p in package_files())
    tree = ast.parse(fileobj.read().decode("utf-8"))
    out = Scan()
    scan_module(tree, "", _ERRORS, out)
    known = catalogue_ids("en")
    for key, places in out.called.items():
        yield places[0][1], "", key, []
    for pat, places in out.patterns.items():
        for key in expand(pat, DYNAMIC_IDS):
            yield places[0][1], "", key, []
    for key, places in out.literals.items():
        if key in known:
            yield places[0][1], "", key, []
