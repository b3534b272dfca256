"""``filedialogs.save_as``: the one way a screen asks where to save and then saves (prize and redemption
slips): a cancelled dialog saves nothing, a refusal is shown on the screen's error line, success clears it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pos_app.domain.errors import InvalidInput
from pos_app.ui import filedialogs


class _ErrorLine:
    def __init__(self) -> None:
        self.shown: list[object] = ["stale"]

    def show_error(self, exc: object) -> None:
        self.shown.append(exc)


@pytest.mark.parametrize("answer", [None, ""])
def test_a_cancelled_dialog_saves_nothing(monkeypatch: pytest.MonkeyPatch, answer: Any) -> None:
    monkeypatch.setattr(filedialogs, "save_file", lambda *a: answer)
    saved: list[str] = []
    err = _ErrorLine()
    assert filedialogs.save_as(None, "t", "x.pdf", "PDF (*.pdf)", saved.append, err) is None
    assert saved == [] and err.shown == ["stale"]


def test_a_refusal_is_shown_and_success_clears_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = str(tmp_path / "slip.pdf")
    monkeypatch.setattr(filedialogs, "save_file", lambda *a: target)
    err = _ErrorLine()

    def refuse(path: str) -> None:
        raise InvalidInput("file.not_writable", path=path)

    assert filedialogs.save_as(None, "t", "slip.pdf", "PDF (*.pdf)", refuse, err) is None
    assert isinstance(err.shown[-1], InvalidInput)
    written: list[str] = []
    assert filedialogs.save_as(None, "t", "slip.pdf", "PDF (*.pdf)", written.append, err) == target
    assert written == [target] and err.shown[-1] is None
