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
    assert {a.__name__.rsplit(".", 1)[1] for a in cli.areas()} == modules
    assert all(callable(getattr(a, "register", None)) for a in cli.areas())


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


@pytest.mark.parametrize(("argv", "gui"), [
    ([], True), (["gui"], True), (["gui", "--smoke"], True), (["--db", "s.db"], True), (["--db", "gui", "member"], False),
    (["--lang", "en", "--json", "gui"], True), (["--db=s.db", "gui"], True), (["member", "list"], False),
    (["--help"], False), (["gui", "-h"], False), (["--db", "-h"], False), (["--st", "c1", "gui"], False),
    (["--", "gui"], False), (["doctor"], False),
])
def test_which_command_lines_start_the_gui(argv, gui):
    assert cli.starts_gui(argv) is gui


@pytest.mark.parametrize("argv", [[], ["gui"], ["gui", "--smoke"], ["--db", "s.db", "--lang", "en", "gui"],
                                  ["--staff", "c1", "--pin", "1", "--db=x.db"], ["gui", "--db", "s.db", "--json"]])
def test_the_gui_parser_reads_a_gui_command_line_as_the_whole_parser_does(argv):
    assert vars(cli.build_parser([cli.gui]).parse_args(argv)) == vars(cli.build_parser().parse_args(argv))


def test_starting_the_gui_loads_no_other_command_area():
    code = ("import sys; from pos_app.cli import build_parser, gui, starts_gui; assert starts_gui(['gui']); "
            "build_parser([gui]).parse_args(['gui']); "
            "print(sorted(m for m in sys.modules if m.startswith('pos_app.cli.') and m not in "
            "('pos_app.cli.base', 'pos_app.cli.gui')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert r.stdout.strip() == "[]"
