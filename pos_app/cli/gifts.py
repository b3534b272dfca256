"""`pos-app gift ...`: the gift catalogue, stock movements, owed gifts and hand-out, stocktake, exports.

    gift add SKU NAME [--value YUAN] [--threshold N] [--barcode B]      (manager)
    gift edit SKU [--name] [--value] [--threshold] [--barcode] [--active/--inactive]
    gift list [--low] [--query Q]          gift show SKU
    gift receive SKU QTY [--supplier S] [--reference R]
    gift return SKU QTY [--reason R]
    gift transfer-out SKU QTY --to STORE   gift transfer-in SKU QTY --from STORE
    gift adjust SKU (--counted N | --delta D) --reason R
    gift owed [--phone P] [--sku SKU]
    gift handout --phone P [--sku SKU]     gift decline --phone P [--sku SKU] [--reason R]
    gift movements [--sku] [--kind] [--since] [--until] [--staff-code] [--limit]
    gift export --out FILE.csv|.xlsx [--what stock|movements] [movement filters]
    gift stocktake [--out SHEET] [--counts FILE | SKU=N ...] [--confirm --reason R]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any

from pos_app import messages
from pos_app.cli.base import check_output_path, date_arg, write_output
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import format_fen, parse_yuan


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params)


def _level_line(lv: Any) -> str:
    flag = "  !" + _t("gift.low_flag") if lv.low else ""
    off = "  (" + _t("gift.inactive") + ")" if not lv.active else ""
    return (
        f"{lv.sku:<12} {lv.name:<16} {_t('gift.col.on_hand')} {lv.on_hand:>5}  {_t('gift.col.owed')} {lv.owed:>4}  "
        f"{_t('gift.col.available')} {lv.available:>5}  {_t('gift.col.threshold')} {lv.threshold:>4}  "
        f"{format_fen(lv.unit_value_fen)}{flag}{off}"
    )


def _movement_line(mv: Any, cli: Any) -> str:
    who = f" {mv.phone}" if mv.phone else ""
    extra = " ".join(x for x in (mv.reason, mv.supplier, mv.reference, mv.other_store) if x)
    return (
        f"{cli.local(mv.created_at)} {mv.sku:<12} {_t('gift.kind.' + mv.kind):<8} {mv.delta:+5d} -> {mv.on_hand_after:<5}"
        f" {mv.staff_code}{who} {extra}"
    )


def _owed_line(o: Any, cli: Any) -> str:
    late = "  " + _t("gift.overdue") if o.overdue else ""
    return (
        f"{cli.local(o.created_at, '%Y-%m-%d')} {o.phone} {o.sku:<12} {o.name}  ({_t('gift.source.' + o.source)})"
        f"  {_t('gift.col.due_on')} {o.due_on or '-'}  {_t('gift.col.on_hand')} {o.on_hand}{late}"
    )


def _movement_result_text(res: Any, cli: Any) -> str:
    lines = [_movement_line(res.movement, cli), _level_line(res.level)]
    if res.movement.delta > 0 and res.waiting_members:
        lines.append(_t("gift.waiting", count=res.waiting_members, sku=res.level.sku, units=res.waiting_gifts))
    return "\n".join(lines)


def _member_id(cli: Any, phone: str) -> str:
    from pos_app.services import members  # noqa: PLC0415

    return str(members.get_member(cli.ctx, cli.actor(), phone=phone).member_id)


def _date(text: str | None) -> date | None:
    return date_arg(text, "gift.date_invalid")


def _money(text: str | None) -> int | None:
    return None if text is None else parse_yuan(text, allow_zero=True, field="value")


# ----------------------------------------------------------------------------- handlers


def cmd_add(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    lv = gifts.add_gift(
        cli.ctx, cli.actor(), sku=a.sku, name=a.name, unit_value_fen=_money(a.value) or 0, threshold=a.threshold,
        barcode=a.barcode, request_id=a.request_id,
    )
    return int(cli.emit(lv, lambda: _level_line(lv)))


def cmd_edit(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    lv = gifts.update_gift(
        cli.ctx, cli.actor(), sku=a.sku, name=a.name, unit_value_fen=_money(a.value), threshold=a.threshold,
        barcode=a.barcode, active=a.active,
    )
    return int(cli.emit(lv, lambda: _level_line(lv)))


def cmd_list(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    rows = gifts.stock_levels(cli.ctx, cli.actor(), query=a.query, low_only=a.low)
    return int(cli.emit(rows, lambda: "\n".join(_level_line(r) for r in rows) or _t("gift.none")))


def cmd_show(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    lv = gifts.get_gift(cli.ctx, cli.actor(), a.sku)
    return int(cli.emit(lv, lambda: _level_line(lv)))


def cmd_low(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    rows = gifts.low_stock(cli.ctx, cli.actor())
    return int(cli.emit(rows, lambda: "\n".join(_level_line(r) for r in rows) or _t("gift.no_low")))


def _movement_cmd(fn_name: str, **extra: Callable[[argparse.Namespace], Any]) -> Callable[[Any, argparse.Namespace], int]:
    def handler(cli: Any, a: argparse.Namespace) -> int:
        from pos_app.services import gifts  # noqa: PLC0415

        kwargs = {k: f(a) for k, f in extra.items()}
        res = getattr(gifts, fn_name)(cli.ctx, cli.actor(), sku=a.sku, qty=a.qty, request_id=a.request_id, **kwargs)
        return int(cli.emit(res, lambda: _movement_result_text(res, cli)))

    return handler


cmd_receive = _movement_cmd("receive", supplier=lambda a: a.supplier, reference=lambda a: a.reference)
cmd_return = _movement_cmd("return_gift", reason=lambda a: a.reason)
cmd_transfer_out = _movement_cmd("transfer_out", to_store=lambda a: a.to_store, reference=lambda a: a.reference)
cmd_transfer_in = _movement_cmd("transfer_in", from_store=lambda a: a.from_store, reference=lambda a: a.reference)


def cmd_adjust(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    res = gifts.adjust(cli.ctx, cli.actor(), sku=a.sku, counted=a.counted, delta=a.delta, reason=a.reason,
                       request_id=a.request_id)
    return int(cli.emit(res, lambda: _movement_result_text(res, cli)))


def cmd_owed(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    mid = _member_id(cli, a.phone) if a.phone else None
    rows = gifts.owed_gifts(cli.ctx, cli.actor(), member_id=mid, sku=a.sku)
    return int(cli.emit(rows, lambda: "\n".join(_owed_line(o, cli) for o in rows) or _t("gift.nothing_owed")))


def _selected(cli: Any, a: argparse.Namespace, mid: str) -> list[str] | None:
    from pos_app.services import gifts  # noqa: PLC0415

    if not a.sku:
        return None
    ids = [o.entitlement_id for o in gifts.owed_gifts(cli.ctx, cli.actor(), member_id=mid, sku=a.sku)]
    if not ids:
        raise InvalidInput("gift.none_owed_sku", sku=a.sku.upper())
    return ids


def cmd_handout(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    mid = _member_id(cli, a.phone)
    res = gifts.handout(cli.ctx, cli.actor(), member_id=mid, entitlement_ids=_selected(cli, a, mid),
                        request_id=a.request_id, qty=a.qty)

    def human() -> str:
        lines = [_t("gift.handed_out_line", sku=h.sku, name=h.name) for h in res.handed_out]
        lines += [
            _t("gift.still_owed_line", sku=o.sku, name=o.name, due=o.due_on or "-", why=_t("gift.short." + o.reason))
            for o in res.still_owed
        ]
        return "\n".join(lines)

    return int(cli.emit(res, human))


def cmd_decline(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    mid = _member_id(cli, a.phone)
    ids = _selected(cli, a, mid)
    if ids is None:
        ids = [o.entitlement_id for o in gifts.owed_gifts(cli.ctx, cli.actor(), member_id=mid)]
    res = gifts.decline(cli.ctx, cli.actor(), member_id=mid, entitlement_ids=ids, reason=a.reason,
                        request_id=a.request_id)
    return int(cli.emit(res, lambda: _t("gift.declined_n", count=len(res.declined))))


def _movement_filters(a: argparse.Namespace) -> dict[str, Any]:
    return {
        "sku": a.sku, "kind": a.kind, "since": _date(a.since), "until": _date(a.until), "staff_code": a.staff_code,
        "limit": a.limit,
    }


def cmd_movements(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    rows = gifts.movements(cli.ctx, cli.actor(), **_movement_filters(a))
    return int(cli.emit(rows, lambda: "\n".join(_movement_line(r, cli) for r in rows) or _t("gift.no_movements")))


def cmd_export(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415
    from pos_app.services.exports import export_format  # noqa: PLC0415

    export_format(a.out)
    check_output_path(a.out, force=a.force)
    if a.what == "stock":
        write_output(a.out, lambda p: gifts.export_stock(cli.ctx, cli.actor(), p), force=a.force)
        n = len(gifts.stock_levels(cli.ctx, cli.actor()))
    else:
        filters = _movement_filters(a)
        rows = gifts.movements(cli.ctx, cli.actor(), **filters)
        write_output(a.out, lambda p: gifts.export_movements(cli.ctx, cli.actor(), p, **filters), force=a.force)
        n = len(rows)
    path = a.out
    return int(cli.emit({"path": str(path), "rows": n, "what": a.what}, _t("gift.exported", path=str(path), rows=n)))


def _parse_counts(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for it in items:
        sku, sep, qty = it.partition("=")
        if not sep:
            raise InvalidInput("gift.count_arg_invalid", value=it)
        try:
            out[sku.strip()] = int(qty.strip())
        except ValueError:
            raise InvalidInput("gift.count_arg_invalid", value=it) from None
    return out


def cmd_stocktake(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import gifts  # noqa: PLC0415

    counts: dict[str, int] = {}
    if a.out:
        from pos_app.services.exports import export_format  # noqa: PLC0415

        export_format(a.out)
        check_output_path(a.out, force=a.force)
    if a.counts:
        counts.update(gifts.read_counts(a.counts))
    counts.update(_parse_counts(a.count or []))
    if not counts:
        sheet = gifts.stocktake_sheet(cli.ctx, cli.actor())
        if a.out:
            write_output(a.out, lambda p: gifts.write_stocktake(p, sheet), force=a.force)
        return int(cli.emit(
            {"lines": sheet, "path": a.out},
            lambda: "\n".join(f"{c.sku:<12} {c.name:<16} {c.expected:>6}" for c in sheet)
            + (("\n" + _t("gift.exported", path=a.out, rows=len(sheet))) if a.out else ""),
        ))
    if a.confirm:
        res = gifts.confirm_stocktake(cli.ctx, cli.actor(), counts, reason=a.reason or "", request_id=a.request_id)
        lines = list(res.lines)
        payload: Any = res
    else:
        lines = gifts.preview_stocktake(cli.ctx, cli.actor(), counts)
        payload = {"lines": lines, "confirmed": False}
    if a.out:
        write_output(a.out, lambda p: gifts.write_stocktake(p, lines), force=a.force)

    def human() -> str:
        out = [
            f"{c.sku:<12} {c.name:<16} {_t('gift.col.expected')} {c.expected:>5}  {_t('gift.col.counted')} {c.counted:>5}"
            f"  {_t('gift.col.difference')} {c.difference:+d}"
            for c in lines
        ]
        out.append(_t("gift.stocktake_done" if a.confirm else "gift.stocktake_preview",
                      count=sum(1 for c in lines if c.difference)))
        return "\n".join(out)

    return int(cli.emit(payload, human))


# ----------------------------------------------------------------------------- parser


def register(sub: Any, common: argparse.ArgumentParser, add: Callable[..., argparse.ArgumentParser]) -> None:
    gp = sub.add_parser("gift", help="gift catalogue and stock").add_subparsers(dest="sub", metavar="ACTION", required=True)

    sp = add("add", cmd_add, "add a gift to the catalogue (manager)", gp)
    sp.add_argument("sku")
    sp.add_argument("name")
    sp.add_argument("--value", help="unit value in yuan, e.g. 39 or 12.50")
    sp.add_argument("--threshold", type=int, default=0, help="low-stock threshold")
    sp.add_argument("--barcode")
    sp.add_argument("--request-id")

    sp = add("edit", cmd_edit, "edit a catalogue entry (manager)", gp)
    sp.add_argument("sku")
    sp.add_argument("--name")
    sp.add_argument("--value")
    sp.add_argument("--threshold", type=int)
    sp.add_argument("--barcode")
    grp = sp.add_mutually_exclusive_group()
    grp.add_argument("--active", dest="active", action="store_true", default=None)
    grp.add_argument("--inactive", dest="active", action="store_false")

    sp = add("list", cmd_list, "the catalogue with stock levels", gp)
    sp.add_argument("--low", action="store_true", help="only low-stock gifts")
    sp.add_argument("--query", help="part of the SKU or name")
    sp = add("show", cmd_show, "one gift: on hand, owed, available, threshold", gp)
    sp.add_argument("sku")
    add("low", cmd_low, "low-stock gifts", gp)

    for name, handler, help_ in (
        ("receive", cmd_receive, "stock arrived"),
        ("return", cmd_return, "items came back to the shelf"),
        ("transfer-out", cmd_transfer_out, "send stock to another store (manager)"),
        ("transfer-in", cmd_transfer_in, "stock arrived from another store"),
    ):
        sp = add(name, handler, help_, gp)
        sp.add_argument("sku")
        sp.add_argument("qty", type=int)
        sp.add_argument("--request-id")
        if name == "receive":
            sp.add_argument("--supplier")
            sp.add_argument("--reference")
        elif name == "return":
            sp.add_argument("--reason")
        elif name == "transfer-out":
            sp.add_argument("--to", dest="to_store", required=True)
            sp.add_argument("--reference")
        else:
            sp.add_argument("--from", dest="from_store", required=True)
            sp.add_argument("--reference")

    sp = add("adjust", cmd_adjust, "correct the stock after a count (manager)", gp)
    sp.add_argument("sku")
    grp = sp.add_mutually_exclusive_group(required=True)
    grp.add_argument("--counted", type=int)
    grp.add_argument("--delta", type=int)
    sp.add_argument("--reason", required=True)
    sp.add_argument("--request-id")

    sp = add("owed", cmd_owed, "gifts owed to members, oldest first", gp)
    sp.add_argument("--phone")
    sp.add_argument("--sku")

    sp = add("handout", cmd_handout, "hand a member the gifts they are owed", gp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--sku")
    sp.add_argument("--qty", type=int, help="at most this many (1 or more), oldest first")
    sp.add_argument("--request-id")

    sp = add("decline", cmd_decline, "record that a member declined owed gifts", gp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--sku")
    sp.add_argument("--reason")
    sp.add_argument("--request-id")

    def movement_filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--sku")
        p.add_argument("--kind", choices=["received", "handout", "returned", "adjusted", "transfer_out", "transfer_in"])
        p.add_argument("--since", help="YYYY-MM-DD (store date, inclusive)")
        p.add_argument("--until", help="YYYY-MM-DD (store date, inclusive)")
        p.add_argument("--staff-code")
        p.add_argument("--limit", type=int, default=1000)

    sp = add("movements", cmd_movements, "stock movement history, newest first", gp)
    movement_filters(sp)

    sp = add("export", cmd_export, "export stock levels or movements to .csv or .xlsx", gp)
    sp.add_argument("--out", required=True)
    sp.add_argument("--force", action="store_true", help="write through a symbolic link at --out")
    sp.add_argument("--what", choices=["stock", "movements"], default="stock")
    movement_filters(sp)

    sp = add("stocktake", cmd_stocktake, "stocktake: print/export the sheet, preview or confirm counts", gp)
    sp.add_argument("count", nargs="*", help="SKU=COUNTED ...")
    sp.add_argument("--counts", help="a filled-in sheet (.csv or .xlsx)")
    sp.add_argument("--out", help="write the sheet (with differences) to .csv or .xlsx")
    sp.add_argument("--force", action="store_true", help="write through a symbolic link at --out")
    sp.add_argument("--confirm", action="store_true", help="post the adjustments (manager)")
    sp.add_argument("--reason", help="required with --confirm")
    sp.add_argument("--request-id")
