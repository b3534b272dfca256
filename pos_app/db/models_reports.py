"""Reports' own rows (issue 14): a cashier's shift (交班). Everything else a report shows is read from the
tables it is about (wallet ledger, points lots and entries, recharges, refunds, sales, returns)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_coupons as mc
from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class Shift(Base):
    """One cashier's shift at the till: opened with a float, closed with the cash counted. A closed shift
    is never changed again: its figures are frozen in ``figures_json`` when it is closed."""

    __tablename__ = "shift"
    #: a cashier's shifts, newest first (the open one, the previous float)
    __table_args__ = (Index("ix_shift_staff_opened", "staff_id", "opened_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    #: open | closed
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    float_fen: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the cash the cashier counted in the till at the close
    counted_fen: Mapped[int | None] = mapped_column(Integer)
    #: opening float + cash in - cash out, at the close
    expected_fen: Mapped[int | None] = mapped_column(Integer)
    #: counted - expected (negative: cash is missing)
    difference_fen: Mapped[int | None] = mapped_column(Integer)
    #: the shift's figures as they were at the close (JSON), so a closed shift's report never changes
    figures_json: Mapped[str | None] = mapped_column(Text)


# ----------------------------------------------------------------------------- the campaign figures' indexes
# (migration 0014_dashboard). The dashboard and the campaign report read a period of a large store by time:
# these let each daily figure read its period's rows only (tests/bench/bench_dashboard.py), and the points
# ones answer from the index alone (time, what it sums).

#: a period's sales and their figures (and ids, for their payments and lines) from the index alone
Index("ix_sale_created_cover", mk.Sale.created_at, mk.Sale.member_id, mk.Sale.total_fen, mk.Sale.paid_fen, mk.Sale.id)
Index("ix_points_lot_earned", m.PointsLot.earned_at, m.PointsLot.source, m.PointsLot.points)
Index("ix_points_entry_created", m.PointsEntry.created_at, m.PointsEntry.kind, m.PointsEntry.delta)
Index("ix_coupon_issued_at", mc.Coupon.issued_at)
Index("ix_coupon_redeemed_at", mc.Coupon.redeemed_at)
Index("ix_coupon_valid_until", mc.Coupon.valid_until)
