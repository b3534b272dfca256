"""`pos-app gen`: a busy store built fast (members with invite chains, recharges, sales, coupons, gifts), for
benchmarks and for a manager to look at (services/generate.py)."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.errors import AuthenticationFailed, InvalidInput

_INT = re.compile(r"^-?[0-9]{1,12}$")


def _whole(text: str) -> int | str:
    """A whole number typed on the command line, else the text as typed (refused by the size check)."""
    t = str(text).strip()
    return int(t) if _INT.match(t) else t


def store_paths(db: str, stores: int) -> list[Path]:
    """The files written: ``db`` itself, or for several stores ``<stem>-B001.db``... beside it."""
    from pos_app.services.generate import store_code  # noqa: PLC0415

    base = Path(db)
    if stores == 1:
        return [base]
    return [base.with_name(f"{base.stem}-{store_code(i)}{base.suffix or '.db'}") for i in range(1, stores + 1)]


def cmd_gen(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.app import open_store  # noqa: PLC0415
    from pos_app.services import generate, staff  # noqa: PLC0415
    from pos_app.services.common import require  # noqa: PLC0415

    members, days, stores = _whole(a.members), _whole(a.days), _whole(a.stores)
    generate.check_size(members, days, stores)
    assert isinstance(members, int) and isinstance(days, int) and isinstance(stores, int)
    seed = _whole(a.seed)
    if not isinstance(seed, int):
        raise InvalidInput("gen.seed_invalid", value=str(seed)[:40])
    paths = store_paths(cli.db_path, stores)
    code = getattr(a, "staff", None) or os.environ.get("POS_STAFF")
    pin = getattr(a, "pin", None) or os.environ.get("POS_PIN")
    # every store is checked before any is written: one with members, or paired, refuses them all
    set_up: set[Path] = set()
    for p in paths:
        if p.exists():
            ctx = open_store(p, create=False, owner="command")
            try:
                if generate.can_generate(ctx):
                    if not (code and pin):
                        raise AuthenticationFailed("gen.needs_login")
                    require(staff.login(ctx, code, pin), "system.admin")  # a manager, before any store is written
                    set_up.add(p)
            finally:
                ctx.db.dispose()
    results: list[dict[str, Any]] = []
    for i, p in enumerate(paths, start=1):
        ctx = open_store(p, create=True, owner="command")
        try:
            actor = staff.login(ctx, code or "", pin or "") if p in set_up else None
            r = generate.generate(ctx, actor, members=members, days=days, seed=seed + i - 1,
                                  store_code_=generate.store_code(i), store_name=f"繁忙门店 {generate.store_code(i)}")
        finally:
            ctx.db.dispose()
        results.append({"db": str(p), "store_code": r.store_code, "members": r.members, "days": r.days, "seed": r.seed,
                        "tables": r.tables, "rows": r.rows, "rows_inserted": r.rows_inserted,
                        "rows_updated": r.rows_updated, "seconds": r.seconds, "rows_per_s": round(r.rows_per_s),
                        "cpu_seconds": r.cpu_seconds})
    tables: dict[str, int] = {}
    for r in results:
        for t, n in r["tables"].items():
            tables[t] = tables.get(t, 0) + n
    seconds = round(sum(r["seconds"] for r in results), 3)
    inserted = sum(r["rows_inserted"] for r in results)
    doc = {"stores": results, "tables": tables, "rows": sum(tables.values()), "rows_inserted": inserted,
           "rows_updated": sum(r["rows_updated"] for r in results), "seconds": seconds,
           "rows_per_s": round(inserted / seconds) if seconds else 0}
    lines = [messages.translate("gen.done", {"db": r["db"], "members": r["members"], "days": r["days"],
                                             "rows": r["rows"], "seconds": r["seconds"], "rate": r["rows_per_s"]})
             for r in results]
    lines.append(messages.translate("gen.login", {"code": generate.MANAGER[0], "pin": generate.MANAGER[1]}))
    return cli.emit(doc, "\n".join(lines))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    sp = add("gen", cmd_gen, "generate a busy store (members, recharges, sales, coupons, gifts) for a demo or a benchmark")
    sp.add_argument("--members", required=True, help="members to register (1 to 1,000,000)")
    sp.add_argument("--days", default="30", help="days of counter work, ending yesterday (default 30)")
    sp.add_argument("--stores", default="1", help="stores: more than one writes <stem>-B001.db... beside --db")
    sp.add_argument("--seed", default="1", help="the random seed: the same seed gives the same store")
