"""The CLI package: every area module under pos_app/cli/ adds its commands (none is left out by a missing
name), and building the parser loads no SQLAlchemy, so `pos-app gui` shows its window before the database
layer is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pos_app.cli as cli

CLI_DIR = Path(cli.__file__).parent
NOT_AREAS = {"__init__", "__main__", "base"}


def test_every_area_module_is_registered():
    modules = {p.stem for p in CLI_DIR.glob("*.py")} - NOT_AREAS
    assert {a.__name__.rsplit(".", 1)[1] for a in cli.AREAS} == modules
    assert all(callable(getattr(a, "register", None)) for a in cli.AREAS)


COMMANDS = ("gui", "init", "demo", "doctor", "member", "campaign", "recharge", "spend", "refund", "statement",
            "staff", "points", "coupon", "invite", "gift", "backup", "restore", "audit", "product", "sale", "sales")


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_there(name, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args([name, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: pos-app {name}")


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["no-such-command"])
    assert exc.value.code == 2
    assert "no-such-command" in capsys.readouterr().err


def test_building_the_parser_loads_no_database_layer():
    code = ("import sys; from pos_app.cli import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy' or m.startswith('pos_app.db')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert r.stdout.strip() == "[]"
