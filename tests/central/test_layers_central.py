"""The central server's layering: SQL only in its db modules (db.py, db_repo.py, db_migrate.py), HTTP only in
api.py, and none of the store's database, services, UI or CLI (central has its own models)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CENTRAL = Path(__file__).resolve().parents[2] / "pos_app" / "central"
DB_MODULES = {"db.py", "db_repo.py", "db_migrate.py"}
#: what a module outside the db modules may take from SQLAlchemy: its errors and the session type
SQLA_ALLOWED = {"sqlalchemy.exc", "sqlalchemy.orm.Session"}


def imported(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out += [f"{node.module}.{a.name}" for a in node.names]
    return out


def modules() -> list[Path]:
    return [p for p in sorted(CENTRAL.rglob("*.py")) if "versions" not in p.parts]


def test_sql_only_in_the_db_modules() -> None:
    bad = []
    for path in modules():
        if path.name in DB_MODULES or path.parent.name == "migrations":
            continue
        for mod in imported(path):
            if mod.startswith("sqlalchemy") and not any(mod == a or mod.startswith(a + ".") for a in SQLA_ALLOWED):
                bad.append(f"{path.name}: {mod}")
        text = path.read_text(encoding="utf-8")
        for word in (r"\bSELECT ", r"\bINSERT INTO", r"\bUPDATE \w+ SET", r"\bDELETE FROM", r"exec_driver_sql",
                     r"\btext\("):
            if re.search(word, text):
                bad.append(f"{path.name}: {word}")
    assert bad == []


def test_http_only_in_the_api_and_server() -> None:
    bad = [f"{p.name}: {m}" for p in modules() if p.name not in ("api.py", "server.py", "schemas.py")
           for m in imported(p) if m.split(".")[0] in ("fastapi", "starlette", "uvicorn", "pydantic")]
    assert bad == []


def test_central_never_imports_the_store_layers() -> None:
    store = ("pos_app.db", "pos_app.services", "pos_app.ui", "pos_app.cli", "pos_app.app")
    bad = [f"{p.name}: {m}" for p in modules() for m in imported(p) if any(m == s or m.startswith(s + ".") for s in store)]
    assert bad == []
