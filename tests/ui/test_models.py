"""The Qt table models over DTO lists, checked with qtmodeltester, empty and filled."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos_app.services.dto import GrantedItemDTO, MemberSummary, PointsLotDTO, RechargeSummary, WalletLine
from pos_app.ui.models import (
    CouponModel,
    ItemModel,
    MemberTableModel,
    OwedItemModel,
    PointsLotModel,
    RechargeModel,
    StatementModel,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ROWS: dict[type, list[Any]] = {
    MemberTableModel: [MemberSummary("m1", "13800000001", None, "M0123456789", 100, 23, 123, 5)],
    StatementModel: [
        WalletLine("e2", 2, "spend", -1000, -100, 49000, 4900, 53900, NOW, "s1", "cash1"),
        WalletLine("e1", 1, "recharge", 50000, 5000, 50000, 5000, 55000, NOW, "r1", "cash1"),
    ],
    PointsLotModel: [PointsLotDTO("l1", "recharge", 50, 0, NOW, date(2027, 11, 23), False)],
    ItemModel: [GrantedItemDTO("g1", "gift", "TOY", "玩具", 3900, "owed", date(2026, 11, 26), "tier")],
    OwedItemModel: [GrantedItemDTO("g1", "coupon", "PET20", "券", 2000, "issued", None, "tier", "ABCD")],
    CouponModel: [  # the attributes the model reads (CouponDTO has more)
        SimpleNamespace(code="ABCD-EFGH-JKMN-PQRS-T", name="宠物券", kind="amount_off", value_fen=2000, percent_bp=0,
                        min_spend_fen=10000, state="issued", valid_until=date(2027, 1, 31), issued_at=NOW),
        SimpleNamespace(code="ABCD-EFGH-JKMN-PQRS-V", name="九五折", kind="percent_off", value_fen=0, percent_bp=500,
                        min_spend_fen=0, state="expired", valid_until=date(2026, 11, 2), issued_at=NOW),
    ],
    RechargeModel: [RechargeSummary("r1", "m1", "13800000001", None, 50000, 0, 50, "wechat", "active", 50000, 0, NOW)],
}


@pytest.mark.parametrize("cls", list(ROWS), ids=lambda c: c.__name__)
def test_model_contract(cls: type, qtmodeltester: Any) -> None:
    model = cls([])
    qtmodeltester.check(model)
    model.set_rows(ROWS[cls])
    qtmodeltester.check(model)
    assert model.rowCount() == len(ROWS[cls])
    assert all(model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount()))
    assert not any(str(model.headerData(c, Qt.Orientation.Horizontal)).startswith("col.") for c in range(model.columnCount()))


def test_statement_shows_money_and_colours_signs() -> None:
    m = StatementModel(ROWS[StatementModel])
    assert m.index(0, 0).data() == "2026-11-23 10:00"  # UTC shown in the store's time zone
    assert m.index(0, 2).data() == "-¥10.00" and m.index(1, 2).data() == "+¥500.00"
    assert m.index(0, 6).data() == "¥539.00"
    assert m.index(0, 2).data(Qt.ItemDataRole.ForegroundRole).name() == "#b3261e"
    assert m.index(0, 6).data(Qt.ItemDataRole.TextAlignmentRole) & int(Qt.AlignmentFlag.AlignRight)


def test_recharge_model_translates_codes() -> None:
    m = RechargeModel(ROWS[RechargeModel])
    assert m.index(0, 1).data() == "自定义金额"
    assert m.index(0, 5).data() == "微信"
    assert m.index(0, 7).data() == "有效"


def test_coupon_model_values() -> None:
    m = CouponModel(ROWS[CouponModel])
    assert [m.index(r, 2).data() for r in range(2)] == ["¥20.00", "5%"]
    import pos_app.services.coupons  # noqa: F401  (its module registers the coupon state names)
    from pos_app import messages

    assert [m.index(r, 4).data() for r in range(2)] == [messages.translate("coupon.state.issued"), messages.translate("coupon.state.expired")]
    assert m.index(1, 4).data() != "coupon.state.expired"


def test_recharge_model_shows_the_tier_name_when_known() -> None:
    row = RechargeSummary("r2", "m1", "13800000001", "advanced", 100000, 15000, 100, "cash", "active", 100000, 15000, NOW)
    m = RechargeModel([row], tier_names={"r2": "进阶档"})
    assert m.index(0, 1).data() == "进阶档"
    m.set_rows([row])  # names unknown (campaign gone): the code, never blank
    assert m.index(0, 1).data() == "advanced"


def test_item_model_shows_the_coupon_code_and_the_coupon_state() -> None:
    import pos_app.services.coupons  # noqa: F401  (registers the coupon state names)

    voucher = GrantedItemDTO("e1", "voucher", "洗护美容", "洗护美容服务券", 5000, "issued", None, "rebate", "cp-internal-1")
    owed = GrantedItemDTO("e2", "coupon", "PET20", "宠物用品 20 元券", 2000, "owed", date(2026, 11, 26), "tier")
    toy = GrantedItemDTO("e3", "gift", "TOY", "玩具", 3900, "handed_out", None, "tier", "mv-internal-9")
    coupon = SimpleNamespace(coupon_id="cp-internal-1", entitlement_id="e1", code="ABCD-EFGH-JKMN-PQRS-T", state="redeemed")
    m = ItemModel([voucher, owed, toy], coupons=[coupon])
    assert [m.index(r, 5).data() for r in range(3)] == ["ABCD-EFGH-JKMN-PQRS-T", "", ""]
    assert [m.index(r, 3).data() for r in range(3)] == ["已使用", "待发放", "已领取"]


def test_store_date_is_the_stores_day_not_the_machines() -> None:
    from pos_app.ui.models import store_date

    assert store_date(datetime(2026, 12, 1, 16, 30, tzinfo=UTC)) == date(2026, 12, 2)  # Asia/Shanghai
    assert store_date(datetime(2026, 12, 1, 15, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert store_date(date(2026, 12, 1)) == date(2026, 12, 1)
