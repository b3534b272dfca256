"""What a use case changed, as Anki's operations return OpChanges: each screen refreshes only what it
shows. Built by the unit of work from the tables the transaction wrote (``db/written.py``), so a use
case cannot forget to say it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

#: the areas a screen can ask about
AREAS = ("members", "wallet", "points", "coupons", "gifts", "stock", "campaigns", "staff", "settings", "sync",
         "audit", "products", "sales", "shifts", "redemptions")


@dataclass(frozen=True)
class Changes:
    members: bool = False
    wallet: bool = False
    points: bool = False
    coupons: bool = False
    #: owed gifts and other entitlements
    gifts: bool = False
    #: gift stock: catalogue, movements, stocktakes
    stock: bool = False
    campaigns: bool = False
    staff: bool = False
    settings: bool = False
    #: the outbox (events waiting for the central server)
    sync: bool = False
    audit: bool = False
    #: the product catalogue (checkout)
    products: bool = False
    #: sales and returns (checkout)
    sales: bool = False
    #: cashiers' shifts (reports)
    shifts: bool = False
    #: the points mall and premium redemption (items, stock, requests)
    redemptions: bool = False

    @classmethod
    def of(cls, areas: Iterable[str]) -> Changes:
        wanted = set(areas)
        # the request log and the dashboard's summaries (derived figures) are no screen's to refresh
        unknown = wanted - set(AREAS) - {"requests", "summaries"}
        if unknown:
            raise ValueError(f"unknown change areas: {sorted(unknown)}")
        return cls(**{a: True for a in AREAS if a in wanted})

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if getattr(self, f.name))

    def any(self, *areas: str) -> bool:
        """True when any of ``areas`` changed."""
        for a in areas:
            if a not in AREAS:
                raise ValueError(f"unknown change area: {a}")
            if getattr(self, a):
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self.areas)

    def __or__(self, other: Changes) -> Changes:
        return Changes.of(self.areas + other.areas)


NO_CHANGES = Changes()
