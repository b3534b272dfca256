"""A manager's wallet adjustment for the member shown on F5 (Ctrl+Shift+A on the statement tab): principal and/or
bonus to add or take away (a leading minus), and a reason. A cashier is asked for a manager's PIN for this one
adjustment (ui/approval.py); the service (``wallet.adjust``) checks the role, the amounts and that no part goes
below zero, on every path. The dialog only reads the typed amounts; the work runs on the database worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from pos_app.domain.errors import DomainError
from pos_app.domain.money import parse_signed_yuan
from pos_app.domain.textparams import Money
from pos_app.ui.common import ErrorLabel, tr


class WalletAdjustDialog(QDialog):
    """Asks for the two signed amounts and the reason; :attr:`amounts` holds them (fen) once accepted."""

    def __init__(self, phone: str, principal_fen: int, bonus_fen: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wallet_adjust_dialog")
        self.setWindowTitle(tr("wallet_adjust.title", phone=phone))
        self.amounts: tuple[int, int] = (0, 0)
        form = QFormLayout(self)
        now = QLabel(tr("wallet_adjust.now", principal=Money(principal_fen), bonus=Money(bonus_fen)))
        now.setObjectName("adjust_wallet_now")
        form.addRow(now)
        self.principal = QLineEdit()
        self.principal.setObjectName("adjust_principal")
        self.principal.setPlaceholderText(tr("wallet_adjust.placeholder"))
        label = QLabel(tr("wallet_adjust.principal"))
        label.setBuddy(self.principal)
        form.addRow(label, self.principal)
        self.bonus = QLineEdit()
        self.bonus.setObjectName("adjust_bonus")
        self.bonus.setPlaceholderText(tr("wallet_adjust.placeholder"))
        label = QLabel(tr("wallet_adjust.bonus"))
        label.setBuddy(self.bonus)
        form.addRow(label, self.bonus)
        self.reason = QLineEdit()
        self.reason.setObjectName("adjust_wallet_reason")
        label = QLabel(tr("wallet_adjust.reason"))
        label.setBuddy(self.reason)
        form.addRow(label, self.reason)
        hint = QLabel(tr("wallet_adjust.hint"))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        form.addRow(hint)
        self.error = ErrorLabel()
        form.addRow(self.error)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)
        self.principal.setFocus()

    def accept(self) -> None:
        """Typed amounts that are not money stay here with the reason why; the rest is the service's to check."""
        try:
            p = parse_signed_yuan(self.principal.text(), field="principal") if self.principal.text().strip() else 0
            b = parse_signed_yuan(self.bonus.text(), field="bonus") if self.bonus.text().strip() else 0
        except DomainError as exc:
            self.error.show_error(exc)
            return
        self.error.show_error(None)
        self.amounts = (p, b)
        super().accept()


def adjust_wallet(appctx: Any, phone: str, principal_fen: int, bonus_fen: int, reason: str,
                  done: Callable[[Any], None], failed: Callable[[BaseException | str], None]) -> bool:
    """Run the adjustment as whoever may (a manager approving for a cashier); False when nobody approved."""
    from pos_app.services import wallet  # noqa: PLC0415
    from pos_app.ui.approval import approved_actor  # noqa: PLC0415

    actor = approved_actor(appctx, "wallet.adjust", tr("wallet_adjust.approve"))
    if actor is None:
        failed(tr("approval.not_given"))
        return False
    ctx, rid = appctx.ctx, appctx.new_request_id()
    appctx.run(lambda: wallet.adjust(ctx, actor, phone=phone, principal_fen=principal_fen, bonus_fen=bonus_fen,
                                     reason=reason, request_id=rid), done, failed)
    return True
