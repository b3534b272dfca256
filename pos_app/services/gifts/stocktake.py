"""Stocktake: the count sheet, a preview of the differences, the confirmed count (one transaction), and
reading a filled-in sheet."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pos_app import messages
from pos_app.db import models_gifts as g
from pos_app.db.uow import UnitOfWork
from pos_app.domain import gifts as rules
from pos_app.domain.errors import InvalidInput
from pos_app.domain.text import MAX_TEXT_LEN
from pos_app.services.common import audit, check_request_id, emit, remember, replayed, require
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.gifts.common import (
    CountLineDTO,
    StocktakeResult,
    movement_event,
    post_movement,
    short_text,
)
from pos_app.services.usecase import use_case


def stocktake_sheet(ctx: ServiceContext, actor: Actor, *, include_inactive: bool = False) -> list[CountLineDTO]:
    """The count sheet: every SKU with the quantity the system expects, counted left blank."""
    require(actor, "gift.adjust")
    with ctx.uow(read_only=True) as uow:
        stmt = select(g.GiftItem).order_by(g.GiftItem.sku)
        if not include_inactive:
            stmt = stmt.where(g.GiftItem.active.is_(True))
        return [
            CountLineDTO(i.sku, i.name, i.on_hand, None, None, i.unit_value_fen, i.barcode)
            for i in uow.session.scalars(stmt)
        ]


def _count_lines(uow: UnitOfWork, counted: Mapping[str, int]) -> tuple[list[CountLineDTO], dict[str, g.GiftItem]]:
    items = {i.sku: i for i in uow.session.scalars(select(g.GiftItem))}
    normalized: dict[str, int] = {}
    for raw, qty in counted.items():
        sku = rules.normalize_sku(raw)
        if sku not in items:  # a scanned barcode
            by_code = next((i for i in items.values() if i.barcode and i.barcode == str(raw).strip()), None)
            if by_code is not None:
                sku = by_code.sku
        if sku in normalized:
            raise InvalidInput("gift.stocktake_repeated", sku=sku)
        normalized[sku] = qty
    lines = rules.stocktake_lines({k: v.on_hand for k, v in items.items()}, normalized)
    return (
        [CountLineDTO(c.sku, items[c.sku].name, c.expected, c.counted, c.difference, items[c.sku].unit_value_fen,
                      items[c.sku].barcode)
         for c in lines],
        items,
    )


def preview_stocktake(ctx: ServiceContext, actor: Actor, counted: Mapping[str, int]) -> list[CountLineDTO]:
    """The differences a count would post, without writing anything."""
    require(actor, "gift.adjust")
    with ctx.uow(read_only=True) as uow:
        return _count_lines(uow, counted)[0]


@use_case("gift.stocktake", permission="gift.adjust", event="gift.stocktake", idempotent=True)
def confirm_stocktake(
    ctx: ServiceContext,
    actor: Actor,
    counted: Mapping[str, int],
    *,
    reason: str,
    note: str | None = None,
    request_id: str | None = None,
) -> StocktakeResult:
    """Post one adjustment per SKU whose count differs, all in ONE transaction, with the stocktake
    record and every counted line (so the sheet can be printed/exported later)."""
    why = rules.check_reason(reason, required=True)
    assert why is not None
    request_id = check_request_id(request_id, ctx)
    params = {"counted": {str(k): v for k, v in sorted(counted.items())}, "reason": why}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "gift.stocktake", params)
        if done:
            return _stocktake_result(uow, done)
        lines, items = _count_lines(uow, counted)
        st_row = g.Stocktake(
            id=ctx.new_id(), request_id=request_id, reason=why, lines_count=len(lines),
            adjusted_count=sum(1 for c in lines if c.difference), staff_id=actor.staff_id, created_at=ctx.now(),
            note=short_text(note, MAX_TEXT_LEN, "note"),
        )
        s.add(st_row)
        s.flush()
        moves = []
        for c in lines:
            mv_id = None
            if c.difference:
                mv = post_movement(uow, ctx, actor, items[c.sku], rules.ADJUSTED, c.difference, request_id,
                           reason=why, stocktake_id=st_row.id)
                moves.append(mv)
                mv_id = mv.id
            s.add(g.StocktakeLine(stocktake_id=st_row.id, sku=c.sku, expected=c.expected, counted=c.counted or 0,
                                  difference=c.difference or 0, movement_id=mv_id))
        s.flush()
        remember(uow, ctx, request_id, "gift.stocktake", st_row.id, params)
        audit(uow, ctx, actor, "gift.stocktake", "stocktake", st_row.id, reason=why, lines=len(lines),
              adjustments={mv.sku: mv.delta for mv in moves})
        emit(uow, ctx, "gift.stocktake", {
            "stocktake_id": st_row.id, "request_id": request_id, "reason": why, "staff": actor.code,
            "lines": [{"sku": c.sku, "expected": c.expected, "counted": c.counted} for c in lines],
            "movements": [movement_event(mv, actor) for mv in moves],
        })
        result = _stocktake_result(uow, st_row.id)
        uow.commit()
        return result


def _stocktake_result(uow: UnitOfWork, stocktake_id: str) -> StocktakeResult:
    s = uow.session
    st_row = s.get(g.Stocktake, stocktake_id)
    assert st_row is not None
    lines = tuple(
        CountLineDTO(ln.sku, name, ln.expected, ln.counted, ln.difference, unit)
        for ln, name, unit in s.execute(
            select(g.StocktakeLine, g.GiftItem.name, g.GiftItem.unit_value_fen)
            .join(g.GiftItem, g.GiftItem.sku == g.StocktakeLine.sku)
            .where(g.StocktakeLine.stocktake_id == stocktake_id)
            .order_by(g.StocktakeLine.sku)
        ).all()
    )
    return StocktakeResult(st_row.id, st_row.request_id, st_row.reason, lines, st_row.adjusted_count, st_row.created_at)


def _decode_sheet(raw: bytes, p: Path) -> str:
    """A CSV as Excel writes it: UTF-8 (with or without BOM), or GBK/GB18030 on Chinese Windows."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("stocktake.file_invalid", path=str(p), detail="not UTF-8 or GB18030 text")


def read_counts(path: str | Path) -> dict[str, int]:
    """Counted quantities from a filled-in stocktake sheet (.csv or .xlsx): the SKU in the first column,
    the count in the column headed "counted" (any language) or else the fourth column."""
    from pos_app.services.exports import export_format  # noqa: PLC0415

    p = Path(path)
    fmt = export_format(p)
    rows: list[list[Any]]
    try:
        if fmt == ".csv":
            import csv  # noqa: PLC0415
            import io  # noqa: PLC0415

            rows = [list(r) for r in csv.reader(io.StringIO(_decode_sheet(p.read_bytes(), p), newline=""))]
        else:
            import zipfile  # noqa: PLC0415

            from openpyxl import load_workbook  # noqa: PLC0415

            try:
                wb = load_workbook(p, read_only=True, data_only=True)
                rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
            except (zipfile.BadZipFile, KeyError, ValueError):  # not a real .xlsx (renamed, damaged)
                raise InvalidInput("stocktake.file_invalid", path=str(p), detail="not an .xlsx workbook") from None
    except FileNotFoundError:
        raise InvalidInput("file.not_found", path=str(p)) from None
    except OSError as exc:
        raise InvalidInput("file.read_failed", path=str(p), detail=exc.strerror or str(exc)) from None
    if not rows:
        raise InvalidInput("gift.stocktake_empty")
    header = [str(c or "").strip().lower() for c in rows[0]]
    names = {messages.translate("gift.col.counted", lang=lang).lower() for lang in messages.LANGS} | {"counted"}
    col = next((i for i, h in enumerate(header) if h in names), 3)
    out: dict[str, int] = {}
    for i, r in enumerate(rows[1:], start=2):
        if not r or r[0] in (None, "") or len(r) <= col or r[col] in (None, ""):
            continue
        raw = r[col]
        try:
            qty = int(str(raw).strip())
        except ValueError:
            raise InvalidInput("gift.count_invalid", row=i, qty=str(raw)) from None
        out[str(r[0]).strip()] = qty
    return out
