"""Read-only queries the counter app needs beside the wallet use cases: what a payment from the
balance would take (principal/bonus split, balance after) and the store's identity for the status bar.
They write nothing."""

from __future__ import annotations

from dataclasses import dataclass

from pos_app.domain import wallet as w
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import MAX_AMOUNT_FEN
from pos_app.domain.textparams import Money
from pos_app.services.common import require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.members import load_member


@dataclass(frozen=True)
class SpendPreview:
    member_id: str
    amount_fen: int
    principal_fen: int
    bonus_fen: int
    principal_after_fen: int
    bonus_after_fen: int
    balance_after_fen: int
    spend_order: str


@dataclass(frozen=True)
class StoreBrief:
    store_code: str
    name: str
    timezone: str
    balance_cap_fen: int


def preview_spend(ctx: ServiceContext, actor: Actor, *, member_id: str, amount_fen: int) -> SpendPreview:
    """The split a spend of ``amount_fen`` would take now; refuses more than the balance like spend."""
    require(actor, "wallet.spend")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput("money.zero", value=str(amount_fen), field="amount")
    if amount_fen > MAX_AMOUNT_FEN:
        raise InvalidInput("money.absurd", value=str(amount_fen), field="amount", max=Money(MAX_AMOUNT_FEN))
    with ctx.uow(read_only=True) as uow:
        member = load_member(uow, member_id=member_id)
        st = settings(uow)
        split = w.split_spend(w.Balance(member.principal_fen, member.bonus_fen), amount_fen, st.spend_order)
        p_after = member.principal_fen - split.principal_fen
        b_after = member.bonus_fen - split.bonus_fen
        return SpendPreview(
            member_id=member.id,
            amount_fen=amount_fen,
            principal_fen=split.principal_fen,
            bonus_fen=split.bonus_fen,
            principal_after_fen=p_after,
            bonus_after_fen=b_after,
            balance_after_fen=p_after + b_after,
            spend_order=st.spend_order,
        )


def store_brief(ctx: ServiceContext) -> StoreBrief:
    """The store's name and time zone (shown before anyone logs in, so no role check)."""
    with ctx.uow(read_only=True) as uow:
        st = settings(uow)
        return StoreBrief(st.store_code, st.name, st.timezone, st.balance_cap_fen)
