"""`pos-app product add|edit|list|show|import`: the checkout's product catalogue."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.money import format_fen, parse_yuan


def _row(p: Any) -> str:
    member = format_fen(p.member_price_fen) if p.member_price_fen is not None else "-"
    state = "" if p.active else f"  ({messages.translate('product.inactive_mark')})"
    return f"{p.sku:<14} {p.barcode:<15} {format_fen(p.price_fen):>10} {member:>10}  {p.category}  {p.name}{state}"


def cmd_add(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout  # noqa: PLC0415

    res = checkout.add_product(
        cli.ctx, cli.actor(), sku=a.sku, barcode=a.barcode, name=a.name, category=a.category,
        price_fen=parse_yuan(a.price, field="price"),
        member_price_fen=parse_yuan(a.member_price, field="member_price") if a.member_price is not None else None,
        request_id=a.request_id,
    )
    return cli.emit(res, lambda: messages.translate("product.added", {"sku": res.sku, "name": res.name}) + "\n" + _row(res))


def cmd_edit(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout  # noqa: PLC0415

    member: Any = checkout.UNCHANGED
    if a.no_member_price:
        member = None
    elif a.member_price is not None:
        member = parse_yuan(a.member_price, field="member_price")
    res = checkout.update_product(
        cli.ctx, cli.actor(), sku=a.sku, barcode=a.barcode, name=a.name, category=a.category,
        price_fen=parse_yuan(a.price, field="price") if a.price is not None else None, member_price_fen=member,
        active=a.active,
    )
    return cli.emit(res, lambda: _row(res))


def cmd_list(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout  # noqa: PLC0415

    if a.query:
        rows = checkout.search_products(cli.ctx, cli.actor(), a.query, limit=200)
    else:
        rows = checkout.list_products(cli.ctx, cli.actor(), include_inactive=a.all)
    return cli.emit(rows, lambda: "\n".join(_row(p) for p in rows) or messages.translate("product.none"))


def cmd_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout  # noqa: PLC0415

    found = checkout.find_product(cli.ctx, cli.actor(), a.sku)  # a scanned barcode works too
    res = found if found is not None else checkout.get_product(cli.ctx, cli.actor(), a.sku)
    return cli.emit(res, lambda: _row(res))


def cmd_import(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout  # noqa: PLC0415
    from pos_app.services.dto import to_jsonable  # noqa: PLC0415

    rep = checkout.import_products(cli.ctx, cli.actor(), a.file)
    if rep.refused:
        if cli.json:
            print(json.dumps(to_jsonable(rep), ensure_ascii=False, indent=2, sort_keys=True), file=cli.out)
        print(messages.translate("product.import_refused", {"rows": len(rep.refused)}), file=sys.stderr)
        for row, why in rep.refused:
            print(f"  {messages.translate('product.import_row', {'row': row})}: {why}", file=sys.stderr)
        return 2
    return cli.emit(rep, lambda: messages.translate("product.imported", {"added": rep.added, "updated": rep.updated}))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    pp = sub.add_parser("product", help="the product catalogue (checkout)").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    sp = add("add", cmd_add, "add a product (manager)", pp)
    sp.add_argument("--sku", required=True)
    sp.add_argument("--barcode", required=True)
    sp.add_argument("--name", required=True)
    sp.add_argument("--category", required=True)
    sp.add_argument("--price", required=True, help="list price in yuan, e.g. 128 or 59.90")
    sp.add_argument("--member-price", help="member price in yuan (members whose member-price eligibility is current)")
    sp.add_argument("--request-id")
    sp = add("edit", cmd_edit, "edit a product (manager)", pp)
    sp.add_argument("sku")
    sp.add_argument("--barcode")
    sp.add_argument("--name")
    sp.add_argument("--category")
    sp.add_argument("--price")
    grp = sp.add_mutually_exclusive_group()
    grp.add_argument("--member-price")
    grp.add_argument("--no-member-price", action="store_true")
    grp2 = sp.add_mutually_exclusive_group()
    grp2.add_argument("--active", dest="active", action="store_true", default=None)
    grp2.add_argument("--inactive", dest="active", action="store_false")
    sp = add("list", cmd_list, "the catalogue", pp)
    sp.add_argument("--query", help="part of the name, SKU or barcode")
    sp.add_argument("--all", action="store_true", help="inactive products too")
    sp = add("show", cmd_show, "one product by SKU or barcode", pp)
    sp.add_argument("sku")
    sp = add("import", cmd_import, "add/update products from CSV/XLSX (sku, barcode, name, category, price, member_price)", pp)
    sp.add_argument("file")
