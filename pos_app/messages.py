"""The user-facing text of the CLI and the GUI (zh_CN default, en): gettext catalogues, read with the standard
library's :mod:`gettext`.

Sources: ``pos_app/locale/<lang>/LC_MESSAGES/pos_app.po`` (msgid = the message id, e.g. ``money.absurd``; msgstr
= the text, with ``{name}`` placeholders). They are compiled to ``pos_app.mo`` with Babel at build time (``make
messages-compile``, run by the venv stamp, ``make test``, ``make run`` and ``make package``); ``make messages``
extracts the ids from the code (``pos_app/locale/extract.py``) and updates the .po files.

A missing or stale compiled catalogue in a source checkout (the .po beside it is newer) is compiled on first use,
so a fresh clone and an edited .po just work; where there is no .po (the packaged app) or Babel is not installed,
a missing .mo fails loudly with :class:`CatalogueMissing`, which says how to build it.

Parameters are shown by their TYPE (``pos_app.domain.textparams``): ``Money`` as ``¥1,234.50``, ``Count`` and
``int`` plain, ``Day`` and ``date`` in ISO form, ``Term`` as the translated message it names; anything else as
it is. Text stored in the database is a message reference (``textparams.message_ref``), translated when shown by
:func:`stored_text`.
"""

from __future__ import annotations

import gettext
import os
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pos_app.domain.errors import DomainError
from pos_app.domain.money import format_fen
from pos_app.domain.text import one_line
from pos_app.domain.textparams import Day, Money, Term, parse_message_ref

DEFAULT_LANG = "zh_CN"
LANGS = ("zh_CN", "en")
DOMAIN = "pos_app"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

#: Message ids the code builds from a value (``tr(f"pay.{method}")``): each pattern with every value it takes,
#: in one place. The catalogue test expands them, checks both catalogues have them, and refuses an f-string
#: message id in the code whose pattern is not listed here.
DYNAMIC_IDS: dict[str, tuple[str, ...]] = {
    "audit.chain_{}": ("changed", "deleted", "inserted", "ok"),
    "audit.move.{}": ("points", "stock", "wallet"),
    "coupon.kind.{}": ("amount_off", "gift_voucher", "percent_off", "service_voucher"),
    "coupon.state.{}": ("expired", "issued", "redeemed", "voided"),
    "cv.layout.{}": ("58mm", "80mm", "a4"),
    "cv.source.{}": ("manual", "milestone", "new_member", "prize", "rebate", "redemption", "referral", "tier", "task",
                     "birthday"),
    "gift.col.{}": ("action", "active", "available", "barcode", "counted", "delta", "difference",
                    "difference_value", "due_on", "expected", "kind", "low", "member", "movement_id", "name",
                    "on_hand", "on_hand_after", "other_store", "owed", "phone", "reason", "reference", "sku",
                    "source", "staff", "supplier", "threshold", "time", "unit_value", "value"),
    "gift.kind.{}": ("adjusted", "handout", "received", "returned", "transfer_in", "transfer_out"),
    "gift.short.{}": ("out_of_stock", "unknown_sku"),
    "gift.source.{}": ("manual", "milestone", "new_member", "prize", "rebate", "redemption", "referral", "tier", "task",
                       "birthday"),
    "wallet.part.{}": ("principal", "bonus"),
    "item.kind.{}": ("coupon", "gift", "member_price", "voucher"),
    "item.state.{}": ("cancelled", "declined", "expired", "handed_out", "issued", "kept", "owed", "revoked",
                      "used", "void"),
    "panel.{}": ("phone", "name", "member_code", "invite_code", "level", "balance", "principal", "bonus",
                 "points", "expiring", "member_price", "owed_gifts", "unused_coupons", "invited_by",
                 "invites_made", "birthday"),
    "pay.{}": ("cash", "wechat", "alipay", "card", "other"),
    "points.source.{}": ("adjust", "birthday", "checkin", "invite", "recharge", "sale", "spend", "task", "wheel"),
    "points.kind.{}": ("adjust", "earn", "expire", "release", "revoke", "spend"),
    "mall.redeemed.{}": ("issued", "reserved"),
    "print.redemption_note.{}": ("requested", "reserved"),
    "redemption.state.{}": ("requested", "approved", "rejected", "fulfilled", "received", "cancelled", "issued",
                            "reserved", "picked_up"),
    "redemption.event.{}": ("approve", "reject", "fulfil", "receive", "cancel", "pick_up"),
    "redemption.col.{}": ("code", "item", "phone", "name", "contact", "ship_to", "state", "requested_at", "carrier",
                          "tracking"),
    "wheel.state.{}": ("closed", "published"),
    "task.level.{}": ("basic", "intermediate", "advanced"),
    "task.state.{}": ("open", "completed"),
    "level.reason.{}": ("recharge", "sale", "voucher", "voucher_end", "window_end"),
    "checkout.method.{}": ("balance", "cash", "wechat", "alipay", "card", "other"),
    "preview.{}s": ("coupon", "gift", "voucher"),
    "print.pay.{}": ("cash", "wechat", "alipay", "card", "other"),
    "print.perk.{}": ("coupon", "gift", "voucher"),
    "recharge.state.{}": ("active", "refunded"),
    "refund.method.{}": ("cash", "original"),
    "refund.paid_back.{}": ("cash", "original"),
    "refund.perk.{}": ("coupon", "gift", "voucher"),
    "role.{}": ("cashier", "staff", "manager"),
    "state.{}": ("cancelled", "declined", "handed_out", "issued", "kept", "owed", "revoked"),
    "stock.{}": ("receive", "adjust", "return", "transfer_out", "transfer_in"),
    "wallet.kind.{}": ("adjust", "recharge", "refund", "sale_return", "spend", "transfer"),
    # words inside sentences (textparams.Term): a role, the name of a free-text field
    "term.role.{}": ("cashier", "staff", "manager"),
    "term.field.{}": ("name", "note", "reason", "barcode", "supplier", "reference", "store", "ship_to", "carrier",
                      "tracking"),
    # the campaign dashboard and report (services/reports/campaign.py)
    "dashboard.customer.{}": ("member", "walk_in"),
    "dashboard.reward.{}": ("pending", "issued", "other"),
    "dashboard.eval.{}": ("recharge_growth", "new_recharging_members", "invitee_conversion", "points_spent",
        "coupon_redemptions", "mall_redemptions", "premium_redemptions"),
    "dashboard.section.{}": ("recharge", "sales", "referrals", "coupons", "points", "wheel", "gifts", "tasks",
        "redemptions", "levels"),
    "dashboard.fig.{}": ("recharge.principal", "recharge.bonus", "recharge.count", "recharge.new_members",
        "recharge.refunded", "sales.paid", "sales.count", "sales.total", "sales.returns", "referrals.registered",
        "referrals.converted", "referrals.conversion", "referrals.qualified", "referrals.rewards_pending",
        "referrals.rewards_issued", "coupons.issued", "coupons.redeemed", "coupons.expired", "coupons.voided",
        "coupons.redemption_rate", "coupons.discount", "points.earned", "points.spent", "points.expired",
        "points.revoked", "points.outstanding", "points.checkins", "wheel.draws", "wheel.members",
        "wheel.active_members", "wheel.participation", "wheel.points_cost", "wheel.prizes_to_claim",
        "wheel.prizes_claimed", "wheel.claim_rate", "gifts.handed_out", "gifts.owed",
        "gifts.overdue", "gifts.on_hand", "gifts.low_stock", "redemptions.mall", "redemptions.mall_points",
        "redemptions.mall_cash", "redemptions.picked_up", "redemptions.pickup_waiting", "redemptions.premium_requests",
        "redemptions.awaiting_review", "redemptions.review_overdue", "redemptions.fulfilled", "tasks.started",
        "tasks.completed", "tasks.completion_rate", "tasks.points", "tasks.coupons", "levels.members",
        "levels.changes", "levels.upgrades"),
    "dashboard.series.{}": ("principal_fen", "bonus_fen", "recharges", "new_recharging_members", "sales_fen",
        "sales_count", "invitees_registered", "invitees_qualified", "coupons_issued", "coupons_redeemed",
        "discount_fen", "points_earned", "points_spent", "checkins", "draws", "mall_redemptions", "premium_requests",
        "task_completions", "task_points", "level_changes"),
    "dashboard.part.{}": ("tier_mix", "by_method", "by_category", "by_customer", "rewards", "top_inviters",
        "by_source", "prizes_won", "prizes_left", "handed_out", "owed", "on_hand", "low_stock", "mall_by_item",
        "mall_by_state", "premium_by_state", "premium_by_item", "fulfilment", "task_started",
        "task_completed", "task_rate", "task_points", "members_by_level", "changes_by_level"),
    "dashboard.fulfilment.{}": ("shipped", "in_store"),
    "dashboard.ui.period.{}": ("today", "week", "campaign", "custom"),
}


def dynamic_ids() -> set[str]:
    """Every message id :data:`DYNAMIC_IDS` stands for."""
    return {pattern.replace("{}", value) for pattern, values in DYNAMIC_IDS.items() for value in values}


class CatalogueMissing(RuntimeError):
    """A compiled catalogue (.mo) is missing and cannot be built here."""


_lock = threading.Lock()
_catalogues: dict[str, gettext.NullTranslations] = {}
_current_lang = os.environ.get("POS_LANG", DEFAULT_LANG)
if _current_lang not in LANGS:
    _current_lang = DEFAULT_LANG


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def compile_catalogue(lang: str) -> Path:
    """Compile ``lang``'s .po to its .mo with Babel (written to a temp file, then renamed into place)."""
    try:
        from babel.messages.mofile import write_mo  # noqa: PLC0415  (a build tool: only a source checkout needs it)
        from babel.messages.pofile import read_po  # noqa: PLC0415
    except ImportError as exc:
        raise CatalogueMissing(
            f"{mo_path(lang)} is missing or older than its .po and Babel is not installed to compile it: "
            "run `make messages-compile` (pybabel compile -d pos_app/locale -D pos_app)"
        ) from exc
    src, dest = po_path(lang), mo_path(lang)
    with src.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("wb") as f:
        write_mo(f, catalog)
    os.replace(tmp, dest)
    return dest


def _stale(lang: str) -> bool:
    po, mo = po_path(lang), mo_path(lang)
    if not po.is_file():
        return False  # a built app: only the .mo is there
    return not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime


def catalogue(lang: str) -> gettext.NullTranslations:
    """``lang``'s compiled catalogue, loaded once (compiled first when a source checkout's .mo is stale)."""
    found = _catalogues.get(lang)
    if found is not None:
        return found
    with _lock:
        found = _catalogues.get(lang)
        if found is None:
            if lang not in LANGS:
                raise CatalogueMissing(f"no catalogue for language {lang!r} (known: {', '.join(LANGS)})")
            if _stale(lang):
                compile_catalogue(lang)
            try:
                found = gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=False)
            except FileNotFoundError as exc:
                raise CatalogueMissing(
                    f"the compiled catalogue {mo_path(lang)} is missing: run `make messages-compile`"
                ) from exc
            _catalogues[lang] = found
    return found


def reload_catalogues() -> None:
    """Forget the loaded catalogues (the next message loads them again)."""
    with _lock:
        _catalogues.clear()


def set_language(lang: str) -> None:
    global _current_lang
    _current_lang = lang if lang in LANGS else DEFAULT_LANG


def language() -> str:
    return _current_lang


def has_message(key: str, lang: str) -> bool:
    """Whether ``lang``'s catalogue has a text for ``key`` (an id is never its own text)."""
    return catalogue(lang).gettext(key) != key


def template(key: str, lang: str | None = None) -> str:
    """The text of ``key`` in ``lang`` (default: the current language), else in English, else the key."""
    lang = lang if lang in LANGS else _current_lang
    text = catalogue(lang).gettext(key)
    if text == key and lang != "en":
        text = catalogue("en").gettext(key)
    return text


def show_param(value: Any, lang: str | None = None) -> Any:
    """One parameter as the reader sees it, chosen by its type."""
    if isinstance(value, Money):
        return format_fen(int(value))
    if isinstance(value, Term):
        text = template(value.key, lang)
        return value.fallback if text == value.key and value.fallback is not None else text
    if isinstance(value, Day):
        return str(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):  # often what somebody typed: a message stays one readable line
        return one_line(value)
    return value


def translate(key: str, params: dict[str, Any] | None = None, lang: str | None = None) -> str:
    text = template(key, lang)
    if not params:
        return text
    try:
        return text.format(**{k: show_param(v, lang) for k, v in params.items()})
    except (KeyError, IndexError, ValueError):
        return text


def tr_error(err: DomainError, lang: str | None = None) -> str:
    return translate(err.key, err.params, lang)


def stored_text(text: str | None, lang: str | None = None) -> str | None:
    """Text read from the database, as shown: a stored message reference is translated into ``lang``, text a
    person typed is shown as it was typed."""
    ref = parse_message_ref(text)
    if ref is None:
        return text
    return translate(ref[0], ref[1], lang)
