"""A manager's points adjustment for the member shown on F5 (Ctrl+J on the points tab): points to add or take
away (negative) and a reason. A cashier is asked for a manager's PIN for this one adjustment (ui/approval.py);
the service (``points.adjust``) checks the role on every path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QWidget

from pos_app.ui.common import ErrorLabel, tr

#: the largest adjustment typed here (the domain refuses absurd figures with its own message)
MAX_POINTS = 1_000_000


class PointsAdjustDialog(QDialog):
    def __init__(self, phone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("points_adjust.title", phone=phone))
        form = QFormLayout(self)
        self.points = QSpinBox()
        self.points.setObjectName("adjust_points")
        self.points.setRange(-MAX_POINTS, MAX_POINTS)
        label = QLabel(tr("points_adjust.points"))
        label.setBuddy(self.points)
        form.addRow(label, self.points)
        self.reason = QLineEdit()
        self.reason.setObjectName("adjust_reason")
        label = QLabel(tr("points_adjust.reason"))
        label.setBuddy(self.reason)
        form.addRow(label, self.reason)
        self.error = ErrorLabel()
        form.addRow(self.error)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)
        self.points.setFocus()


def adjust_points(appctx: Any, phone: str, points: int, reason: str, done: Callable[[Any], None],
                  failed: Callable[[BaseException | str], None]) -> bool:
    """Run the adjustment as whoever may (a manager approving for a cashier); False when nobody approved."""
    from pos_app.services import points as points_service  # noqa: PLC0415
    from pos_app.ui.approval import approved_actor  # noqa: PLC0415

    actor = approved_actor(appctx, "points.adjust", tr("points_adjust.approve"))
    if actor is None:
        failed(tr("approval.not_given"))
        return False
    ctx, rid = appctx.ctx, appctx.new_request_id()
    appctx.run(lambda: points_service.adjust(ctx, actor, phone=phone, points=points, reason=reason, request_id=rid),
               done, failed)
    return True
