"""Physical gift stock (issue 5): catalogue, movements, hand-out of owed gifts, stocktake, low stock.

Each public function is one use case = one transaction. Stock changes only through movements
(``stock_movement``, append-only); ``gift_item.on_hand`` is their cached sum, moved in the same
transaction. What members are owed are the foundation's ``entitlement`` rows of kind "gift"
(ref = SKU, state "owed"); handing one out writes a "handout" movement and sets the entitlement to
"handed_out" with ``issued_ref`` = the movement id, together.

The package is split by job; every public name is importable from here (``pos_app.services.gifts``):

- ``common``           DTOs, the shared internals (post a movement, stock level of an item), the messages
- ``catalogue``        add/edit a gift, stock levels, low stock, tier stock
- ``stock_movements``  receive, return, transfer out/in, adjust, movement history
- ``handouts``         owed gifts, hand out, decline
- ``stocktake``        count sheet, preview, confirm, read a filled-in sheet
- ``reports``          exports and the dashboard figures
- ``handlers``         what it registers in the registry (:data:`FEATURE`): before recharge, doctor checks,
  demo data
"""

from pos_app.services.gifts.catalogue import (
    add_gift,
    get_gift,
    low_stock,
    stock_levels,
    tier_stock,
    update_gift,
)
from pos_app.services.gifts.common import (
    DEFAULT_MOVEMENT_LIMIT,
    GIFT,
    CountLineDTO,
    DeclineResult,
    HandedOut,
    HandoutResult,
    MovementDTO,
    MovementResult,
    OwedGift,
    StillOwed,
    StockLevel,
    StocktakeResult,
    TierStock,
)
from pos_app.services.gifts.handlers import (
    DEMO_GIFTS,
    FEATURE,
    before_recharge,
    doctor_checks,
    load_demo_data,
    register,
)
from pos_app.services.gifts.handouts import decline, handout, owed_gifts
from pos_app.services.gifts.reports import (
    count_summary,
    export_movements,
    export_stock,
    write_movements,
    write_stock,
    write_stocktake,
)
from pos_app.services.gifts.stock_movements import (
    adjust,
    movements,
    receive,
    return_gift,
    transfer_in,
    transfer_out,
)
from pos_app.services.gifts.stocktake import (
    confirm_stocktake,
    preview_stocktake,
    read_counts,
    stocktake_sheet,
)

__all__ = [
    "DEFAULT_MOVEMENT_LIMIT", "DEMO_GIFTS", "FEATURE", "GIFT", "CountLineDTO", "DeclineResult", "HandedOut",
    "HandoutResult", "MovementDTO", "MovementResult", "OwedGift", "StillOwed", "StockLevel", "StocktakeResult",
    "TierStock", "add_gift", "adjust", "before_recharge", "confirm_stocktake", "count_summary", "decline",
    "doctor_checks", "export_movements", "export_stock", "get_gift", "handout", "load_demo_data", "low_stock",
    "movements", "owed_gifts", "preview_stocktake", "read_counts", "receive", "register", "return_gift",
    "stock_levels", "stocktake_sheet", "tier_stock", "transfer_in", "transfer_out", "update_gift",
    "write_movements", "write_stock", "write_stocktake",
]
