"""The desktop app's entry: QApplication, login, the main window."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app import messages
from pos_app.domain.errors import DomainError
from pos_app.domain.money import format_fen
from pos_app.services import members, staff
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import MemberSummary
from pos_app.ui.ops import DbWorker

_Index = QModelIndex | QPersistentModelIndex


class MemberTableModel(QAbstractTableModel):
    HEADERS = ("phone", "name", "balance", "principal", "bonus", "points")

    def __init__(self, rows: list[MemberSummary] | None = None) -> None:
        super().__init__()
        self._rows: list[MemberSummary] = rows or []

    def set_rows(self, rows: list[MemberSummary]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) if col >= 2 else None
        return (r.phone, r.name or "", format_fen(r.balance_fen), format_fen(r.principal_fen), format_fen(r.bonus_fen), str(r.points))[col]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return messages.translate(f"col.{self.HEADERS[section]}")
        return None


class LoginDialog(QDialog):
    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.actor: Actor | None = None
        self.setWindowTitle(messages.translate("ui.login"))
        form = QFormLayout(self)
        self.code = QLineEdit()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b")
        form.addRow(messages.translate("ui.staff_code"), self.code)
        form.addRow(messages.translate("ui.pin"), self.pin)
        form.addRow(self.error)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.try_login)
        box.rejected.connect(self.reject)
        form.addRow(box)

    def try_login(self) -> None:
        try:
            self.actor = staff.login(self.ctx, self.code.text(), self.pin.text())
        except DomainError as exc:
            self.error.setText(messages.tr_error(exc))
            self.pin.clear()
            return
        self.accept()


class MainWindow(QMainWindow):
    def __init__(self, ctx: ServiceContext, actor: Actor, worker: DbWorker) -> None:
        super().__init__()
        self.ctx, self.actor, self.worker = ctx, actor, worker
        self.setWindowTitle(messages.translate("ui.title"))
        central = QWidget()
        lay = QVBoxLayout(central)
        self.search = QLineEdit()
        self.search.setPlaceholderText(messages.translate("ui.search_hint"))
        self.model = MemberTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        lay.addWidget(self.search)
        lay.addWidget(self.table)
        self.setCentralWidget(central)
        self.statusBar().showMessage(f"{actor.name} ({messages.translate('role.' + actor.role)})")
        self.search.textChanged.connect(self.refresh)
        self.resize(900, 600)
        self.refresh()

    def refresh(self) -> None:
        q = self.search.text()
        self.worker.run(lambda: members.find_members(self.ctx, self.actor, q), self.model.set_rows, self._fail)

    def _fail(self, exc: BaseException) -> None:
        msg = messages.tr_error(exc) if isinstance(exc, DomainError) else repr(exc)
        QMessageBox.warning(self, messages.translate("ui.error"), msg)


def run_gui(db: str, *, lang: str | None = None, smoke: bool = False) -> int:
    from pos_app.app import open_store  # noqa: PLC0415
    from pos_app.services.doctor import run_doctor  # noqa: PLC0415

    if lang:
        messages.set_language(lang)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    ctx = open_store(db)
    worker = DbWorker()
    try:
        if smoke:
            rep = run_doctor(ctx)
            if not rep.ok:
                print("; ".join(rep.problems), file=sys.stderr)
                return 1
            actor = Actor("", "smoke", "smoke", "manager")
            win = MainWindow(ctx, actor, worker)
            win.show()
            app.processEvents()
            return 0
        dlg = LoginDialog(ctx)
        if dlg.exec() != QDialog.DialogCode.Accepted or dlg.actor is None:
            return 0
        win = MainWindow(ctx, dlg.actor, worker)
        win.show()
        return int(app.exec())
    finally:
        worker.stop()


messages.register("zh_CN", {
    "ui.title": "会员收银台", "ui.login": "登录", "ui.staff_code": "工号", "ui.pin": "密码",
    "ui.search_hint": "输入手机号搜索会员", "ui.error": "错误",
    "role.cashier": "收银员", "role.staff": "店员", "role.manager": "店长",
    "col.phone": "手机号", "col.name": "姓名", "col.balance": "余额", "col.principal": "本金",
    "col.bonus": "赠送金", "col.points": "积分",
})
messages.register("en", {
    "ui.title": "Member counter", "ui.login": "Log in", "ui.staff_code": "Staff code", "ui.pin": "PIN",
    "ui.search_hint": "Type a phone number to search", "ui.error": "Error",
    "role.cashier": "Cashier", "role.staff": "Staff", "role.manager": "Manager",
    "col.phone": "Phone", "col.name": "Name", "col.balance": "Balance", "col.principal": "Principal",
    "col.bonus": "Bonus", "col.points": "Points",
})
