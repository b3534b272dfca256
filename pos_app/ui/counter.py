"""The counter (F2): find a member by typing or scanning, register a new one, see the member panel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import InvalidInput, NotFound
from pos_app.domain.levels import parse_birthday
from pos_app.domain.members import is_phone_prefix, normalize_phone
from pos_app.domain.textparams import Count, Money
from pos_app.services.changes import Changes
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, big_button, error_text, money, tr
from pos_app.ui.models import MemberTableModel, fmt_dt
from pos_app.ui.screens import ScreenSpec, register_screen

SEARCH_DELAY_MS = 120


def full_phone(text: str) -> str | None:
    try:
        return normalize_phone(text)
    except InvalidInput:
        return None


#: the member table's columns (phone, name, member code, balance, principal, bonus, points): the text each
#: must show whole, their share of any extra width, and which go first when the table is narrow (the
#: panel beside it shows principal, bonus and points anyway)
COLUMN_SAMPLES = ("13900000000", "张三丰", "M0XQJWX2YF0", "¥10,000.00", "¥10,000.00", "¥10,000.00", "99999")
COLUMN_WEIGHTS = (10, 14, 10, 8, 6, 6, 4)
COLUMN_DROP_ORDER = (5, 4, 6)


class FittedTable(QTableView):
    """A table whose columns share the visible width: each gets the width of its sample text, extra width
    goes by weight, and low-priority columns are hidden when even that does not fit. It never scrolls
    sideways and never asks the window for more width."""

    def __init__(self, samples: tuple[str, ...], weights: tuple[int, ...], drop_order: tuple[int, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.samples, self.weights, self.drop_order = samples, weights, drop_order
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        hh.setStretchLastSection(False)
        hh.setMinimumSectionSize(16)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

    def fit_columns(self) -> None:
        fm = self.fontMetrics()
        mins = [fm.horizontalAdvance(t) + 18 for t in self.samples]
        width = self.viewport().width()
        shown = list(range(len(self.samples)))
        for col in self.drop_order:
            if sum(mins[c] for c in shown) <= width:
                break
            shown.remove(col)
        for c in range(len(self.samples)):
            self.setColumnHidden(c, c not in shown)
        extra = max(0, width - sum(mins[c] for c in shown))
        total = sum(self.weights[c] for c in shown) or 1
        widths = {c: mins[c] + extra * self.weights[c] // total for c in shown}
        last = shown[-1]
        widths[last] = max(16, width - sum(w for c, w in widths.items() if c != last))
        for c, w in widths.items():
            self.horizontalHeader().resizeSection(c, w)

    def resizeEvent(self, ev: Any) -> None:  # noqa: N802
        super().resizeEvent(ev)
        self.fit_columns()

    def setModel(self, model: Any) -> None:  # noqa: N802
        super().setModel(model)
        self.fit_columns()


class MemberPanel(QFrame):
    """Everything the cashier needs to know about the selected member, at a glance."""

    FIELDS = (
        "phone", "name", "member_code", "invite_code", "level", "balance", "principal", "bonus", "points",
        "expiring", "member_price", "owed_gifts", "unused_coupons", "invited_by", "invites_made", "birthday",
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        lay = QVBoxLayout(self)
        self.header = QLabel(tr("counter.no_member"))
        self.header.setObjectName("title")
        self.header.setWordWrap(True)
        lay.addWidget(self.header)
        self.balance = QLabel("")
        self.balance.setObjectName("big_value")
        lay.addWidget(self.balance)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for i, f in enumerate(self.FIELDS):
            name = QLabel(tr(f"panel.{f}"))
            name.setObjectName("hint")
            val = QLabel("")
            val.setObjectName(f"panel_{f}")
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, i, 0)
            grid.addWidget(val, i, 1)
            self.values[f] = val
        lay.addLayout(grid)
        lay.addStretch(1)
        self.set_member(None)

    def set_member(self, m: Any) -> None:
        if m is None:
            self.header.setText(tr("counter.no_member"))
            self.balance.setText("")
            for v in self.values.values():
                v.setText("")
            return
        self.header.setText(f"{m.name or tr('counter.no_name')}  {m.phone}")
        self.balance.setText(tr("panel.total", amount=Money(m.balance_fen)))
        price = tr("panel.member_price_until", date=m.member_price_until.isoformat()) if m.member_price_active and m.member_price_until else tr("panel.no")
        vals = {
            "phone": m.phone,
            "name": m.name or "",
            "member_code": m.member_code,
            "invite_code": m.invite_code,
            "level": m.level or tr("panel.no_level"),
            "balance": money(m.balance_fen),
            "principal": money(m.principal_fen),
            "bonus": money(m.bonus_fen),
            "points": str(m.points) + (tr("panel.points_pending", points=Count(m.points_pending))
                                       if getattr(m, "points_pending", 0) else ""),
            "expiring": str(m.points_expiring_soon),
            "member_price": price,
            "owed_gifts": str(m.owed_gifts),
            "unused_coupons": str(m.unused_coupons),
            "invited_by": m.inviter_phone or tr("panel.no"),
            "invites_made": str(m.invites_made),
            "birthday": m.birthday.isoformat() if getattr(m, "birthday", None) else tr("panel.birthday_unknown"),
        }
        for k, v in vals.items():
            self.values[k].setText(v)
        self.values["owed_gifts"].setStyleSheet("color: #b3261e; font-weight: bold" if m.owed_gifts else "")


class RegisterDialog(QDialog):
    """Register a member: phone, optional name, optional invite code (typed or scanned). After success
    it shows the new member's invite code."""

    def __init__(self, appctx: AppContext, phone: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.member: Any = None
        self.request_id = appctx.new_request_id()
        self.busy = False
        self.setWindowTitle(tr("register.title"))
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        self.pages = QStackedWidget()
        lay.addWidget(self.pages)
        form_page = QWidget()
        form = QFormLayout(form_page)
        self.phone = QLineEdit(phone)
        self.phone.setObjectName("reg_phone")
        self.phone.setMaxLength(20)
        self.phone_error = ErrorLabel()
        self.name = QLineEdit()
        self.name.setObjectName("reg_name")
        self.invite = QLineEdit()
        self.invite.setObjectName("reg_invite")
        self.invite.setPlaceholderText(tr("register.invite_hint"))
        self.invite.setProperty("scan_local", True)
        self.invite_error = ErrorLabel()
        self.birthday = QLineEdit()
        self.birthday.setObjectName("reg_birthday")
        self.birthday.setMaxLength(20)
        self.birthday.setPlaceholderText(tr("register.birthday_hint"))
        self.birthday_error = ErrorLabel()
        self.error = ErrorLabel()
        form.addRow(tr("register.phone"), self.phone)
        form.addRow("", self.phone_error)
        form.addRow(tr("register.name"), self.name)
        form.addRow(tr("register.invite"), self.invite)
        form.addRow("", self.invite_error)
        form.addRow(tr("register.birthday"), self.birthday)
        form.addRow("", self.birthday_error)
        form.addRow(self.error)
        row = QHBoxLayout()
        self.ok = big_button(tr("register.submit"))
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self.submit)
        cancel = big_button(tr("ui.cancel_esc"))
        cancel.clicked.connect(self.reject)
        row.addWidget(self.ok)
        row.addWidget(cancel)
        form.addRow(row)
        self.pages.addWidget(form_page)
        done_page = QWidget()
        dl = QVBoxLayout(done_page)
        self.done_title = QLabel("")
        self.done_title.setObjectName("title")
        self.done_title.setWordWrap(True)
        self.invite_code = QLabel("")
        self.invite_code.setObjectName("big_value")
        self.invite_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.invite_code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        dl.addWidget(self.done_title)
        dl.addWidget(QLabel(tr("register.your_invite_code")))
        dl.addWidget(self.invite_code)
        self.close_btn = big_button(tr("register.done"))
        self.close_btn.setObjectName("primary")
        self.close_btn.clicked.connect(self.accept)
        dl.addWidget(self.close_btn)
        self.pages.addWidget(done_page)
        for w in (self.phone, self.name, self.invite, self.birthday):
            w.returnPressed.connect(self.submit)
        # an error goes away as soon as its field is corrected
        self.phone.textEdited.connect(lambda _t: self._clear_errors(self.phone_error, self.error))
        self.invite.textEdited.connect(lambda _t: self._clear_errors(self.invite_error, self.error))
        self.name.textEdited.connect(lambda _t: self._clear_errors(self.error))
        self.birthday.textEdited.connect(lambda _t: self._clear_errors(self.birthday_error, self.error))
        (self.name if phone else self.phone).setFocus()

    def _clear_errors(self, *labels: ErrorLabel) -> None:
        if any(e.isVisible() for e in labels):
            for e in labels:
                e.show_error(None)
            self.fit()

    def fit(self) -> None:
        """Grow (or shrink) to what the layout needs now, so an error never pushes the buttons out."""
        lay = self.layout()
        if lay is not None:
            lay.activate()
        self.adjustSize()

    def _show(self, label: ErrorLabel, exc: BaseException) -> None:
        label.show_error(exc)
        self.fit()

    def submit(self) -> None:
        if self.busy or self.pages.currentIndex() != 0:
            return
        from pos_app.services import members  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        from pos_app.ui.scanner import invite_code_from_scan  # noqa: PLC0415

        phone, name, rid = self.phone.text(), self.name.text(), self.request_id
        invite = invite_code_from_scan(self.invite.text())
        for e in (self.phone_error, self.invite_error, self.birthday_error, self.error):
            e.show_error(None)
        try:
            birthday = parse_birthday(self.birthday.text())
        except InvalidInput as exc:
            self._show(self.birthday_error, exc)
            self.birthday.setFocus()
            return
        self.busy = True
        self.ok.setEnabled(False)
        self.appctx.run(
            lambda: members.register_member(ctx, actor, phone=phone, name=name or None, invite_code=invite or None,
                                            birthday=birthday, request_id=rid),
            self._ok, self._fail,
        )

    def _ok(self, member: Any) -> None:
        self.busy = False
        self.member = member
        title = tr("register.done_title", phone=member.phone)
        if member.inviter_phone:
            title += "\n" + tr("register.invited_by", phone=member.inviter_phone)
        self.done_title.setText(title)
        self.invite_code.setText(member.invite_code)
        self.pages.setCurrentIndex(1)
        self.close_btn.setDefault(True)
        self.close_btn.setFocus()

    def _fail(self, exc: BaseException) -> None:
        self.busy = False
        self.ok.setEnabled(True)
        key = getattr(exc, "key", "")
        if key.startswith("member.phone"):
            self._show(self.phone_error, exc)
            self.phone.setFocus()
        elif key == "member.birthday_invalid":
            self._show(self.birthday_error, exc)
            self.birthday.setFocus()
            self.birthday.selectAll()
        elif key.startswith("member.invite") or key == "member.self_invite":
            self._show(self.invite_error, exc)
            self.invite.setFocus()
            self.invite.selectAll()
        else:
            self._show(self.error, exc)


class BirthdayDialog(QDialog):
    """Enter or correct the selected member's birthday (a member level's birthday gift): typed as
    1990-05-01 (or 1990/5/1, 19900501), a real date, not in the future, not before 1900."""

    def __init__(self, appctx: AppContext, member: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.member = member
        self.result_: Any = None
        self.busy = False
        self.setWindowTitle(tr("birthday.title", phone=member.phone))
        form = QFormLayout(self)
        self.day = QLineEdit(member.birthday.isoformat() if getattr(member, "birthday", None) else "")
        self.day.setObjectName("birthday_date")
        self.day.setMaxLength(20)
        self.day.setPlaceholderText(tr("register.birthday_hint"))
        self.error = ErrorLabel()
        form.addRow(tr("register.birthday"), self.day)
        form.addRow(self.error)
        row = QHBoxLayout()
        self.ok = big_button(tr("birthday.save"))
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self.submit)
        cancel = big_button(tr("ui.cancel_esc"))
        cancel.clicked.connect(self.reject)
        row.addWidget(self.ok)
        row.addWidget(cancel)
        form.addRow(row)
        self.day.returnPressed.connect(self.submit)
        self.day.textEdited.connect(lambda _t: self.error.show_error(None))
        self.day.setFocus()
        self.day.selectAll()

    def submit(self) -> None:
        if self.busy:
            return
        try:
            day = parse_birthday(self.day.text())
            if day is None:
                raise InvalidInput("member.birthday_invalid", value="")
        except InvalidInput as exc:
            self.error.show_error(exc)
            self.day.setFocus()
            return
        from pos_app.services import levels  # noqa: PLC0415

        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, self.member.member_id
        self.busy = True
        self.ok.setEnabled(False)
        self.appctx.run(lambda: levels.set_birthday(ctx, actor, member_id=mid, birthday=day), self._ok, self._fail)

    def _ok(self, result: Any) -> None:
        self.busy = False
        self.result_ = result
        self.accept()

    def _fail(self, exc: BaseException) -> None:
        self.busy = False
        self.ok.setEnabled(True)
        self.error.show_error(exc)
        self.day.setFocus()
        self.day.selectAll()


class CounterScreen(QWidget):
    """F2: search while typing, scanner, registration, member panel."""

    member_selected = Signal(object)
    handles_changes = True

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.last_query: str | None = None
        self.searches = 0
        #: the search text the selected member belongs to: editing it away deselects the member, so a new
        #: search never leaves an old member behind a money action (recharge, pay, history, hand-out)
        self.selected_for: str | None = None
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(tr("counter.search_hint"))
        self.search.setClearButtonEnabled(True)
        bar.addWidget(self.search, 1)
        self.register_btn = big_button(tr("counter.register"))
        self.register_btn.clicked.connect(lambda: self.open_register())
        bar.addWidget(self.register_btn)
        left.addLayout(bar)
        self.hint = QLabel(tr("counter.keys_hint"))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        left.addWidget(self.hint)
        self.error = ErrorLabel()
        left.addWidget(self.error)
        self.model = MemberTableModel()
        self.table = FittedTable(COLUMN_SAMPLES, COLUMN_WEIGHTS, COLUMN_DROP_ORDER)
        self.table.setObjectName("members")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # widths from fixed weights, never from the cells (measuring every cell on each search result
        # would block the GUI thread); the columns always fit: the table never scrolls sideways
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.activated.connect(lambda idx: self.select_row(idx.row()))
        left.addWidget(self.table, 1)
        #: the selected member's level and task progress (services/levels.py, services/tasks.py), under the
        #: results (the panel beside them is full)
        self.program = QLabel("")
        self.program.setObjectName("member_program")
        self.program.setWordWrap(True)
        left.addWidget(self.program)
        root.addLayout(left, 3)
        right = QVBoxLayout()
        self.panel = MemberPanel()
        right.addWidget(self.panel, 1)
        #: the selected member's last purchase (checkout), read when a member is selected
        self.last_purchase = QLabel("")
        self.last_purchase.setObjectName("last_purchase")
        self.last_purchase.setWordWrap(True)
        right.addWidget(self.last_purchase)
        # the member's daily check-in (签到): services/points.py; a scan on the points screen (Shift+F5) does it too
        self.checkin_btn = QPushButton(tr("counter.checkin_button"))
        self.checkin_btn.setObjectName("counter_checkin")
        self.checkin_btn.clicked.connect(self.check_in)
        right.addWidget(self.checkin_btn)
        self.checkin_info = QLabel("")
        self.checkin_info.setObjectName("counter_checkin_info")
        self.checkin_info.setWordWrap(True)
        right.addWidget(self.checkin_info)
        # the member's birthday (a level's birthday gift), entered or corrected after registration
        self.birthday_btn = QPushButton(tr("counter.birthday_button"))
        self.birthday_btn.setObjectName("counter_birthday")
        self.birthday_btn.clicked.connect(lambda: self.open_birthday())
        right.addWidget(self.birthday_btn)
        root.addLayout(right, 2)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._text_changed)
        self.search.returnPressed.connect(self.enter_pressed)
        self.search.installEventFilter(self)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=lambda: self.open_register())
        QShortcut(QKeySequence("Ctrl+K"), self, activated=self.check_in).setWhatsThis(tr("counter.checkin_button"))
        appctx.changed.connect(self._changed)
        appctx.member_changed.connect(self._member_changed)

    # --------------------------------------------------------------- keyboard
    def eventFilter(self, obj: Any, ev: Any) -> bool:  # noqa: N802
        from PySide6.QtCore import QEvent  # noqa: PLC0415

        if obj is self.search and ev.type() == QEvent.Type.KeyPress and ev.key() == Qt.Key.Key_Down and self.model.rowCount():
            self.table.setFocus()
            self.table.selectRow(0)
            return True
        return False

    def on_shown(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # --------------------------------------------------------------- search
    def _member_changed(self, member: Any) -> None:
        self.panel.set_member(member)
        self.selected_for = self.search.text().strip() if member is not None else None
        self.load_last_purchase(member)
        self.load_program(member)

    def load_program(self, member: Any) -> None:
        """The member panel's level (with the next one) and the progress of each task of the campaign."""
        self.program.setText("")
        if member is None or not self.appctx.has_actor:
            self.appctx.worker.cancel("member-program")
            return
        from pos_app.services import levels, tasks  # noqa: PLC0415
        from pos_app.ui.points_view import level_text, tasks_text  # noqa: PLC0415

        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, member.member_id

        def show(res: Any) -> None:
            if self.appctx.member is None or self.appctx.member.member_id != mid:
                return
            status, progress = res
            if status.level_name:  # the level as the campaign names it (普通 / 银卡 ...)
                self.panel.values["level"].setText(status.level_name)
            self.program.setText("\n".join(x for x in (level_text(status), tasks_text(progress)) if x))

        self.appctx.run(lambda: (levels.status(ctx, actor, member_id=mid), tasks.progress(ctx, actor, member_id=mid)),
                        show, lambda exc: self.program.setText(error_text(exc)), key="member-program")

    def load_last_purchase(self, member: Any) -> None:
        """The member panel's last purchase: when, the receipt number, what was paid (the checkout service)."""
        self.last_purchase.setText("")
        if member is None or not self.appctx.has_actor:
            self.appctx.worker.cancel("last-purchase")
            return
        from pos_app.services import checkout  # noqa: PLC0415

        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, member.member_id

        def show(sale: Any) -> None:
            if self.appctx.member is None or self.appctx.member.member_id != mid:
                return
            if sale is None:
                self.last_purchase.setText(tr("counter.last_purchase_none"))
            else:
                self.last_purchase.setText(tr("counter.last_purchase", time=fmt_dt(sale.occurred_at), no=sale.receipt_no,
                                              amount=Money(sale.total_fen), n=Count(sum(ln.qty for ln in sale.lines))))

        self.appctx.run(lambda: checkout.last_purchase(ctx, actor, mid), show,
                        lambda exc: self.last_purchase.setText(error_text(exc)), key="last-purchase")

    def _text_changed(self, text: str) -> None:
        self.timer.start()
        if self.appctx.member is not None and text.strip() != self.selected_for:
            self.clear_member()

    def clear_member(self) -> None:
        """No member selected: every screen shows "select a member first" and refuses money actions."""
        self.appctx.worker.cancel("select")
        self.table.clearSelection()
        if self.appctx.member is not None:
            self.appctx.set_member(None)

    def run_search(self) -> None:
        q = self.search.text().strip()
        self.error.show_error(None)
        if not self.appctx.has_actor:
            return
        if not q:
            self.model.set_rows([])
            self.last_query = ""
            self.appctx.worker.cancel("search")
            return
        from pos_app.services import members  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.searches += 1
        self.appctx.run(lambda: (q, members.find_members(ctx, actor, q)), self._results, self._fail, key="search")

    def _results(self, res: tuple[str, list[Any]]) -> None:
        q, rows = res
        if q != self.search.text().strip():
            return  # stale: the text changed since
        self.last_query = q
        self.model.set_rows(rows)
        phone = full_phone(q)
        if not rows and phone:
            self.hint.setText(tr("counter.unknown_phone", phone=phone))
        elif not rows:
            self.hint.setText(tr("counter.no_results") if not is_phone_prefix(q) or len(q) >= 11 else tr("counter.keys_hint"))
        else:
            self.hint.setText(tr("counter.results", n=len(rows)))
        if len(rows) == 1 and phone and rows[0].phone == phone:
            self.table.selectRow(0)

    def _fail(self, exc: BaseException) -> None:
        self.error.show_error(error_text(exc))

    def enter_pressed(self) -> None:
        q = self.search.text().strip()
        if not q:
            return
        self.timer.stop()
        rows = self.model.rows if self.last_query == q else []
        phone = full_phone(q)
        if len(rows) == 1 or (phone and rows and rows[0].phone == phone):
            self.select_row(0)
            return
        self.resolve(q)

    def resolve(self, text: str) -> None:
        """A scan or an Enter: a phone number or a member code. Unknown phone: open registration."""
        from pos_app.services import members  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        # the as-you-type search for this text runs now, not after the debounce, so it cannot clear the
        # answer of this lookup ("not found") a moment after it was shown
        self.timer.stop()
        if self.search.text().strip() != self.last_query:
            self.run_search()
        self.error.show_error(None)
        asked = self.search.text().strip()

        def ok(member: Any) -> None:
            if self.search.text().strip() == asked:  # else stale: a newer search is under way
                self.select_member(member)

        def fail(exc: BaseException) -> None:
            if self.search.text().strip() != asked:
                return
            self.clear_member()  # a search that finds nobody leaves nobody selected
            phone = full_phone(text)
            if isinstance(exc, NotFound) and phone:
                self.search.setText(phone)
                self.open_register(phone)
            else:
                self.error.show_error(exc)

        self.appctx.run(lambda: members.resolve_scan(ctx, actor, text), ok, fail, key="select")

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        from pos_app.services import members  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        mid = self.model.row(row).member_id
        asked = self.search.text().strip()

        def ok(member: Any) -> None:
            if self.search.text().strip() == asked:
                self.select_member(member)

        self.appctx.run(lambda: members.get_member(ctx, actor, member_id=mid), ok, self._fail, key="select")

    def select_member(self, member: Any) -> None:
        self.error.show_error(None)
        self.appctx.set_member(member)
        self.member_selected.emit(member)
        self.hint.setText(tr("counter.selected_hint"))

    def open_register(self, phone: str | None = None) -> Any:
        if phone is None:
            phone = full_phone(self.search.text()) or ""
        dlg = RegisterDialog(self.appctx, phone, self)
        self._register_dialog = dlg
        dlg.finished.connect(lambda _r: self._registered(dlg))
        dlg.open()
        return dlg

    def _registered(self, dlg: RegisterDialog) -> None:
        if dlg.member is not None:
            self.search.setText(dlg.member.phone)
            self.select_member(dlg.member)

    def open_birthday(self) -> BirthdayDialog | None:
        """The selected member's birthday dialog (nobody selected: the panel says to select one first)."""
        m = self.appctx.member
        if m is None or not self.appctx.has_actor:
            self.checkin_info.setText(tr("points.select_member"))
            return None
        dlg = BirthdayDialog(self.appctx, m, self)
        self._birthday_dialog = dlg
        dlg.open()
        return dlg

    def check_in(self) -> None:
        """The selected member's check-in for today (a second one today is refused politely)."""
        m = self.appctx.member
        if m is None or not self.appctx.has_actor:
            self.checkin_info.setText(tr("points.select_member"))
            return
        from pos_app.services import points  # noqa: PLC0415
        from pos_app.ui.points_view import checkin_text  # noqa: PLC0415

        ctx, actor, rid, mid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id(), m.member_id
        self.appctx.run(lambda: points.checkin(ctx, actor, member_id=mid, request_id=rid),
                        lambda r: self.checkin_info.setText(checkin_text(r)),
                        lambda exc: self.checkin_info.setText(error_text(exc)), key="checkin")

    # --------------------------------------------------------------- refresh
    def _changed(self, changes: Changes) -> None:
        if changes.any("wallet", "members", "coupons", "gifts", "sales", "points") and self.appctx.member is not None and self.appctx.has_actor:
            from pos_app.services import members  # noqa: PLC0415

            ctx, actor, mid = self.appctx.ctx, self.appctx.actor, self.appctx.member.member_id

            def ok(m: Any) -> None:
                if self.appctx.member is not None and self.appctx.member.member_id == m.member_id:
                    self.appctx.set_member(m)

            self.appctx.run(lambda: members.get_member(ctx, actor, member_id=mid), ok, None, key="member-refresh")
            if self.last_query:
                self.run_search()


register_screen(ScreenSpec("counter", "screen.counter", "F2", CounterScreen, frozenset({"cashier", "staff", "manager"}), 10))
