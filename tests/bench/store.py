"""The store a GUI benchmark starts from: initialised through the services (a manager ``boss``/9999 and a cashier
``c01``/1111), then handed back as a plain sqlite3 connection so the benchmark can bulk-load its rows fast."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def new_bench_store(path: Path) -> sqlite3.Connection:
    from pos_app.app import open_store
    from pos_app.services import staff

    ctx = open_store(path)
    staff.init_store(ctx, store_name="基准门店", store_code="B001", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    staff.add_staff(ctx, boss, code="c01", role="cashier", pin="1111")
    ctx.db.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    return con
