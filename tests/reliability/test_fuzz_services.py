"""Fuzzing the service entry points (members, wallet, coupons, checkout, product import, campaign load) with
hostile input: every call succeeds or raises a DomainError whose translated message is one line in both
languages (exit code 2 or 3 at the CLI); never another exception. ``doctor`` passes afterwards.

One store for the module (the calls pile up on it like a day at a counter); hypothesis draws the same
examples every run (``derandomize``), so a failure replays; POS_RELIABILITY_SCALE draws more."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app import messages
from pos_app.domain.errors import DomainError
from pos_app.services import campaigns, coupons, doctor, members, wallet
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.checkout import LineInput, PaymentInput, import_products, quote, ring_up
from pos_app.services.checkout.demo import demo_barcode, load_demo_products
from tests.conftest import DEMO_CAMPAIGN, Store, make_store
from tests.reliability.conftest import Counters, scaled
from tests.reliability.strategies import (
    csv_bytes,
    fen,
    hostile_text,
    mutated,
    phone_text,
    toml_text,
    xlsx_cells,
)

PHONE = "13800138000"


def fuzz(n: int) -> Callable[[Any], Any]:
    return settings(max_examples=scaled(n), derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclasses.dataclass
class Counter:
    store: Store
    member_id: str
    coupon_codes: list[str]
    tmp: Path


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Counter]:
    tmp = tmp_path_factory.mktemp("fuzz-services")
    s = make_store(tmp / "store.db")
    load_demo_products(s.ctx, s.manager)
    m = members.register_member(s.ctx, s.cashier, phone=PHONE, name="陈一")
    wallet.recharge(s.ctx, s.cashier, phone=PHONE, tier_code="luxury")
    codes = [c.code for c in coupons.list_coupons(s.ctx, s.manager, member_id=m.member_id)]
    yield Counter(s, m.member_id, codes, tmp)
    s.ctx.db.dispose()


def attempt(campaign: Counters, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a use case with fuzzed input: its result, or None when it refused with a proper DomainError."""
    campaign.add(inputs_tried=1)
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        assert exc.exit_code in (2, 3), exc
        for lang in messages.LANGS:
            text = messages.tr_error(exc, lang)
            assert text.strip() and "\n" not in text and "\r" not in text, (exc.key, text)
            assert exc.key not in text, f"untranslated: {exc.key}"
        return None


@fuzz(60)
@given(phone=phone_text(), name=st.one_of(st.none(), hostile_text()), invite=st.one_of(st.none(), hostile_text(12)),
       level=st.one_of(st.none(), hostile_text(8)), rid=st.one_of(st.none(), hostile_text(12)))
def test_register_member(counter: Counter, campaign: Counters, phone: str, name: str | None, invite: str | None,
                         level: str | None, rid: str | None) -> None:
    s = counter.store
    attempt(campaign, members.register_member, s.ctx, s.cashier, phone=phone, name=name, invite_code=invite,
            level=level, request_id=rid)


@fuzz(80)
@given(amount=st.one_of(st.none(), fen()), phone=st.one_of(st.just(PHONE), phone_text()),
       tier=st.one_of(st.none(), st.sampled_from(["basic", "advanced", "luxury"]), hostile_text(10)),
       method=st.one_of(st.sampled_from(["cash", "wechat", "alipay", "card"]), hostile_text(8)),
       spend=fen(), note=st.one_of(st.none(), hostile_text()))
def test_recharge_and_spend(counter: Counter, campaign: Counters, amount: int | None, phone: str, tier: str | None,
                            method: str, spend: int, note: str | None) -> None:
    s = counter.store
    attempt(campaign, wallet.recharge, s.ctx, s.cashier, amount_fen=amount, phone=phone, tier_code=tier,
            pay_method=method)
    attempt(campaign, wallet.spend, s.ctx, s.cashier, amount_fen=spend, phone=phone, note=note)


@fuzz(60)
@given(data=st.data(), amount=fen(), member=st.sampled_from(["own", "none", "junk"]))
def test_coupon_redeem(counter: Counter, campaign: Counters, data: st.DataObject, amount: int, member: str) -> None:
    s = counter.store
    code = data.draw(st.one_of(st.sampled_from(counter.coupon_codes), hostile_text(24),
                               st.sampled_from(counter.coupon_codes).map(lambda c: c.lower().replace("-", ""))))
    member_id = {"own": counter.member_id, "none": None}.get(member) or data.draw(hostile_text(36))
    attempt(campaign, coupons.redeem_coupon, s.ctx, s.cashier, code=code, amount_fen=amount, member_id=member_id)


LINES = st.builds(
    LineInput,
    barcode=st.one_of(st.none(), st.integers(1, 20).map(demo_barcode), hostile_text(14)),
    sku=st.one_of(st.none(), hostile_text(10)),
    qty=st.one_of(st.integers(-3, 20), st.integers(-2**40, 2**40)),
    category=st.one_of(st.none(), st.sampled_from(["洗护美容", "寄养"]), hostile_text(10)),
    amount_fen=st.one_of(st.none(), fen()),
)
PAYMENTS = st.builds(
    PaymentInput,
    method=st.one_of(st.sampled_from(["balance", "cash", "wechat", "alipay", "card", "other"]), hostile_text(8)),
    amount_fen=fen(), tendered_fen=st.one_of(st.none(), fen()),
)


@fuzz(80)
@given(lines=st.lists(LINES, max_size=4), pays=st.lists(PAYMENTS, max_size=3), walk_in=st.booleans(),
       coupon=st.one_of(st.none(), hostile_text(20)), exact=st.booleans())
def test_checkout_quote_and_ring_up(counter: Counter, campaign: Counters, lines: list[LineInput],
                                    pays: list[PaymentInput], walk_in: bool, coupon: str | None, exact: bool) -> None:
    s = counter.store
    member_id = None if walk_in else counter.member_id
    q = attempt(campaign, quote, s.ctx, s.cashier, member_id=member_id, lines=lines, coupon_code=coupon)
    if q is not None and exact:  # pay what it costs, so a sale goes through now and then
        pays = [PaymentInput("cash", q.total_fen)]
    attempt(campaign, ring_up, s.ctx, s.cashier, request_id=None, member_id=member_id, lines=lines,
            coupon_code=coupon, payments=pays)


@fuzz(60)
@given(raw=csv_bytes(), suffix=st.sampled_from([".csv", ".CSV", ".xlsx", ".txt"]))
def test_product_import_malformed_csv(counter: Counter, campaign: Counters, raw: bytes, suffix: str) -> None:
    path = counter.tmp / f"products{suffix}"
    path.write_bytes(raw)
    attempt(campaign, import_products, counter.store.ctx, counter.store.manager, path)


@fuzz(40)
@given(rows=xlsx_cells(), cut=st.one_of(st.none(), st.integers(0, 4000)))
def test_product_import_malformed_xlsx(counter: Counter, campaign: Counters, rows: list[list[Any]],
                                       cut: int | None) -> None:
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    path = counter.tmp / "products.xlsx"
    wb = Workbook()
    sheet = wb.active
    for r in rows:
        try:
            sheet.append(r)
        except (ValueError, TypeError, IllegalCharacterError):  # what openpyxl will not write (control characters)
            sheet.append([str(v).encode("unicode_escape").decode() for v in r])
    wb.save(path)
    if cut is not None:  # a file cut short (a copy interrupted)
        path.write_bytes(path.read_bytes()[:cut])
    attempt(campaign, import_products, counter.store.ctx, counter.store.manager, path)


@fuzz(40)
@given(text=toml_text())
def test_campaign_file_malformed_toml(counter: Counter, campaign: Counters, text: str) -> None:
    path = counter.tmp / "campaign.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    data = attempt(campaign, read_campaign_file, path)
    if data is not None:
        attempt(campaign, campaigns.load_campaign, counter.store.ctx, counter.store.manager, data)


def _far_campaign() -> dict[str, Any]:
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(code="FUZZ", starts_on="2031-01-01", ends_on="2031-03-31")
    return data


@fuzz(150)
@given(data=mutated(_far_campaign()))
def test_campaign_load_with_junk_values(counter: Counter, campaign: Counters, data: dict[str, Any]) -> None:
    attempt(campaign, campaigns.load_campaign, counter.store.ctx, counter.store.manager, data)


def test_doctor_passes_after_the_fuzzing(counter: Counter, campaign: Counters) -> None:
    rep = doctor.run_doctor(counter.store.ctx)
    campaign.add(rows_checked=len(rep.checks))
    assert rep.ok, rep.problems
