"""Points screen (Shift+F5): the daily check-in (签到) by scanning the member code (or typing the phone, Enter),
and the lucky wheel (抽奖大转盘): the disclosed prize table with the chances now and the commitment, a draw
for the member with a short animation (or none: the "no animation" setting), and the prize slip (PDF with
the claim code and its QR).

Keyboard: a scan anywhere on this screen checks the member in; Ctrl+K checks in the selected member;
Ctrl+D draws for the member in the draw field; Ctrl+P saves the last prize slip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.textparams import Count, Day, Money
from pos_app.services.changes import Changes
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, error_text, money, tr
from pos_app.ui.screens import ScreenSpec, register_screen

#: the animation: this many steps, this far apart (ms), before the result shows
ANIM_STEPS = 12
ANIM_MS = 60
NO_ANIMATION_KEY = "wheel/no_animation"


def _settings() -> Any:
    from pos_app.ui.main import gui_settings  # noqa: PLC0415  (main imports the screens)

    return gui_settings()


def checkin_text(r: Any) -> str:
    text = tr("checkin.done", day=Day(r.day), streak=Count(r.streak), points=Count(r.points + r.bonus_points),
              balance=Count(r.points_balance))
    if r.bonus_points:
        text += "\n" + tr("checkin.bonus", streak=Count(r.streak), points=Count(r.bonus_points))
    if r.tickets:
        text += "\n" + tr("checkin.tickets", count=Count(r.tickets))
    return text


def _figure(unit: str, value: int) -> str:
    return money(value) if unit == "fen" else str(value)


def task_line(t: Any) -> str:
    reward = " + ".join(x for x in (tr("task.reward_points", points=Count(t.points)) if t.points else "",
                                    tr("task.reward_coupon", coupon=t.coupon) if t.coupon else "") if x)
    return tr("task.line", level=tr(f"task.level.{t.level}"), name=t.name,
              progress=_figure(t.unit, t.progress), target=_figure(t.unit, t.target),
              state=tr(f"task.state.{t.state}"), reward=reward)


def tasks_text(r: Any) -> str:
    """A member's task progress (services.tasks.progress), one line a task; "" when the campaign has none."""
    return "\n".join(task_line(t) for t in r.tasks)


def level_text(st: Any) -> str:
    """A member's level (services.levels.status): its name, multiplier, date, and what the next one needs;
    "" when the campaign has no levels."""
    if st.basis is None:
        return ""
    text = tr("level.line", level=st.level_name, multiplier=st.points_multiplier)
    if st.until:
        text += "  " + (tr("level.voucher_until", day=Day(st.until)) if st.by_voucher
                        else tr("level.until", day=Day(st.until)))
    if st.next_name:
        text += "\n" + tr("level.to_next", level=st.next_name, amount=Money(st.to_next_fen))
    return text


class PointsScreen(QWidget):
    handles_changes = True

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.last_draw: Any = None
        self.wheel: Any = None
        self.anim_timer = QTimer(self)
        self.anim_timer.setInterval(ANIM_MS)
        self.anim_timer.timeout.connect(self._anim_step)
        self.anim_left = 0
        self.pending: Any = None
        root = QVBoxLayout(self)

        box = QGroupBox(tr("points.checkin_title"))
        lay = QVBoxLayout(box)
        row = QHBoxLayout()
        self.scan = QLineEdit()
        self.scan.setObjectName("checkin_scan")
        self.scan.setPlaceholderText(tr("points.checkin_hint"))
        self.scan.returnPressed.connect(lambda: self.check_in(self.scan.text()))
        row.addWidget(self.scan, 1)
        self.checkin_btn = QPushButton(tr("points.checkin_selected"))
        self.checkin_btn.setObjectName("checkin_selected")
        self.checkin_btn.clicked.connect(self.check_in_selected)
        row.addWidget(self.checkin_btn)
        lay.addLayout(row)
        self.checkin_result = QLabel("")
        self.checkin_result.setObjectName("checkin_result")
        self.checkin_result.setWordWrap(True)
        lay.addWidget(self.checkin_result)
        self.checkin_error = ErrorLabel()
        lay.addWidget(self.checkin_error)
        root.addWidget(box)

        # the selected member's task progress (services/tasks.py)
        tbox = QGroupBox(tr("points.tasks_title"))
        tl = QVBoxLayout(tbox)
        self.tasks_info = QLabel("")
        self.tasks_info.setObjectName("points_tasks")
        self.tasks_info.setWordWrap(True)
        tl.addWidget(self.tasks_info)
        root.addWidget(tbox)

        wbox = QGroupBox(tr("points.wheel_title"))
        wl = QVBoxLayout(wbox)
        self.wheel_info = QLabel("")
        self.wheel_info.setObjectName("wheel_info")
        self.wheel_info.setWordWrap(True)
        self.wheel_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        wl.addWidget(self.wheel_info)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("wheel_prizes")
        self.table.setHorizontalHeaderLabels([tr("points.col_tier"), tr("points.col_prize"), tr("points.col_value"),
                                              tr("points.col_left"), tr("points.col_chance")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        wl.addWidget(self.table, 1)
        drow = QHBoxLayout()
        self.draw_phone = QLineEdit()
        self.draw_phone.setObjectName("wheel_phone")
        self.draw_phone.setPlaceholderText(tr("points.draw_hint"))
        self.draw_phone.returnPressed.connect(self.draw)
        drow.addWidget(self.draw_phone, 1)
        self.draw_btn = QPushButton(tr("points.draw_button"))
        self.draw_btn.setObjectName("wheel_draw")
        self.draw_btn.clicked.connect(self.draw)
        drow.addWidget(self.draw_btn)
        self.no_anim = QCheckBox(tr("points.no_animation"))
        self.no_anim.setObjectName("wheel_no_animation")
        self.no_anim.setChecked(str(_settings().value(NO_ANIMATION_KEY, "false")).lower() == "true")
        self.no_anim.toggled.connect(lambda on: _settings().setValue(NO_ANIMATION_KEY, "true" if on else "false"))
        drow.addWidget(self.no_anim)
        self.slip_btn = QPushButton(tr("points.slip_button"))
        self.slip_btn.setObjectName("wheel_slip")
        self.slip_btn.setEnabled(False)
        self.slip_btn.clicked.connect(self.ask_slip)
        drow.addWidget(self.slip_btn)
        wl.addLayout(drow)
        self.result = QLabel("")
        self.result.setObjectName("wheel_result")
        self.result.setWordWrap(True)
        wl.addWidget(self.result)
        self.error = ErrorLabel()
        wl.addWidget(self.error)
        root.addWidget(wbox, 1)

        QShortcut(QKeySequence("Ctrl+K"), self, activated=self.check_in_selected).setWhatsThis(tr("points.checkin_selected"))
        QShortcut(QKeySequence("Ctrl+D"), self, activated=self.draw).setWhatsThis(tr("points.draw_button"))
        QShortcut(QKeySequence("Ctrl+P"), self, activated=self.ask_slip).setWhatsThis(tr("points.slip_button"))
        appctx.changed.connect(self._changed)

    # --------------------------------------------------------------- the screen
    def on_shown(self) -> None:
        self.refresh()
        self.refresh_tasks()
        self.scan.setFocus()

    def set_member(self, member: Any) -> None:
        if member is not None and not self.draw_phone.text().strip():
            self.draw_phone.setText(member.phone)
        self.refresh_tasks()

    def refresh_tasks(self) -> None:
        m = self.appctx.member
        if m is None or not (self.appctx.has_ctx and self.appctx.has_actor):
            self.tasks_info.setText(tr("points.select_member"))
            return
        from pos_app.services import tasks  # noqa: PLC0415

        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, m.member_id

        def show(r: Any) -> None:
            if self.appctx.member is not None and self.appctx.member.member_id == mid:
                self.tasks_info.setText(tasks_text(r) or tr("task.none"))

        self.appctx.run(lambda: tasks.progress(ctx, actor, member_id=mid), show,
                        lambda exc: self.tasks_info.setText(error_text(exc)), key="points-tasks")

    def take_scan(self, text: str) -> None:
        """A member code scanned while this screen shows: the member's check-in."""
        self.scan.setText(text)
        self.check_in(text)

    def _changed(self, changes: Changes) -> None:
        if changes.any("points") and self.isVisible():
            self.refresh()
            self.refresh_tasks()

    def refresh(self) -> None:
        if not (self.appctx.has_ctx and self.appctx.has_actor):
            return
        from pos_app.services import wheel  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: wheel.prizes(ctx, actor), self._show_wheel, self._no_wheel, key="wheel-prizes")

    def _no_wheel(self, exc: BaseException) -> None:
        self.wheel = None
        self.table.setRowCount(0)
        self.wheel_info.setText("")
        self.error.show_error(exc)
        self.draw_btn.setEnabled(False)

    def _show_wheel(self, v: Any) -> None:
        self.wheel = v
        self.error.show_error(None)
        self.draw_btn.setEnabled(v.state == "published")
        self.wheel_info.setText(
            tr("wheel.summary", name=v.name, state=tr(f"wheel.state.{v.state}"), cost=Count(v.cost_points),
               draws=Count(v.draws))
            + "\nSHA-256(seed) = " + v.commitment + (f"\nseed = {v.seed}" if v.seed else "")
            + (f"\n{v.claim_note}" if v.claim_note else ""))
        self.table.setRowCount(len(v.prizes))
        for i, p in enumerate(v.prizes):
            for j, text in enumerate((p.tier, p.name, money(p.value_fen), f"{p.left}/{p.quantity}",
                                      f"{p.chance_bp / 100:.2f}%")):
                self.table.setItem(i, j, QTableWidgetItem(text))

    # --------------------------------------------------------------- check-in
    def check_in(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        from pos_app.domain.members import MEMBER_CODE_PREFIX  # noqa: PLC0415
        from pos_app.services import points  # noqa: PLC0415

        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()
        is_code = text.upper().startswith(MEMBER_CODE_PREFIX)
        self.checkin_error.show_error(None)
        self.appctx.run(
            lambda: points.checkin(ctx, actor, code=text if is_code else None, phone=None if is_code else text,
                                   request_id=rid),
            self._checked_in, self._checkin_failed, key="checkin")

    def check_in_selected(self) -> None:
        m = self.appctx.member
        if m is None:
            self.checkin_error.show_error(tr("points.select_member"))
            return
        self.check_in(m.phone)

    def _checked_in(self, r: Any) -> None:
        self.scan.clear()
        self.checkin_result.setText(checkin_text(r))

    def _checkin_failed(self, exc: BaseException) -> None:
        self.scan.selectAll()
        self.checkin_result.setText("")
        self.checkin_error.show_error(exc)

    # --------------------------------------------------------------- the wheel
    def draw(self) -> None:
        phone = self.draw_phone.text().strip()
        if not phone or self.anim_timer.isActive():
            return
        from pos_app.services import wheel  # noqa: PLC0415

        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()
        self.error.show_error(None)
        self.draw_btn.setEnabled(False)
        self.appctx.run(lambda: wheel.draw(ctx, actor, phone=phone, request_id=rid), self._drawn, self._draw_failed,
                        key="wheel-draw")

    def _draw_failed(self, exc: BaseException) -> None:
        self.draw_btn.setEnabled(True)
        self.error.show_error(exc)

    def _drawn(self, r: Any) -> None:
        self.last_draw = r
        if self.no_anim.isChecked() or self.wheel is None or not self.wheel.prizes:
            self._show_result(r)
            return
        self.pending = r
        self.anim_left = ANIM_STEPS
        self.anim_timer.start()

    def _anim_step(self) -> None:
        self.anim_left -= 1
        if self.anim_left <= 0 or self.wheel is None:
            self.anim_timer.stop()
            self._show_result(self.pending)
            return
        p = self.wheel.prizes[self.anim_left % len(self.wheel.prizes)]
        self.result.setText(f"… {p.tier}  {p.name} …")

    def _show_result(self, r: Any) -> None:
        self.result.setText(tr("wheel.drawn", tier=r.tier, prize=r.prize_name, code=r.claim_code,
                               balance=Count(r.points_balance)))
        self.draw_btn.setEnabled(True)
        self.slip_btn.setEnabled(True)

    def save_slip(self, path: str | Path) -> Path:
        """The last draw's prize slip as a PDF at ``path`` (raises DomainError when it cannot be written)."""
        from pos_app.printing.prize_slip import write_prize_slip  # noqa: PLC0415

        if self.last_draw is None:
            raise RuntimeError("no draw yet")
        draw = self.last_draw
        filedialogs.check_output(str(path))
        return filedialogs.writing(str(path), lambda: write_prize_slip(draw, path))

    def ask_slip(self) -> None:
        if self.last_draw is not None:
            filedialogs.save_as(self, tr("points.slip_button"), f"prize-{self.last_draw.seq}.pdf", "PDF (*.pdf)", self.save_slip, self.error)


register_screen(ScreenSpec("points", "screen.points", "Shift+F5", PointsScreen, frozenset({"cashier", "staff", "manager"}), 95))
