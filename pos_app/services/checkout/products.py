"""The product catalogue: look-up by barcode, search, add/edit (manager), import from CSV/XLSX (all or
nothing, with the rows refused and why). The categories are the store's setting ``product_categories``,
else the running campaign's ``[checkout] categories``, else the default list (domain.checkout)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.db import models_checkout as mk
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import checkout as rules
from pos_app.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from pos_app.domain.money import parse_yuan
from pos_app.domain.text import clean_text
from pos_app.domain.textparams import Money
from pos_app.services.campaigns import current_campaign
from pos_app.services.checkout.dto import ImportReport, ProductDTO
from pos_app.services.common import audit, check_request_id, emit, remember, replayed, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.usecase import use_case

#: ``update_product(member_price_fen=UNCHANGED)`` leaves the member price as it is (None removes it)
UNCHANGED: Any = object()

IMPORT_COLUMNS = ("sku", "barcode", "name", "category", "price", "member_price")
MAX_IMPORT_ROWS = 100_000


def dto(p: mk.Product) -> ProductDTO:
    return ProductDTO(p.sku, p.barcode, p.name, p.category, p.price_fen, p.member_price_fen, bool(p.active))


def category_list(uow: UnitOfWork, ctx: ServiceContext) -> tuple[str, ...]:
    raw = settings(uow).raw.get("product_categories")
    if isinstance(raw, list) and raw and all(isinstance(c, str) and c.strip() for c in raw):
        return tuple(c.strip() for c in raw)
    campaign = current_campaign(uow, ctx)
    if campaign is not None:
        cats = rules.rules_from_dict(campaign.extra).categories
        if cats:
            return cats
    return rules.DEFAULT_CATEGORIES


def _code(text: Any, field: str, *, required: bool = True) -> str:
    t = "".join(str(text if text is not None else "").split())
    if not t:
        raise InvalidInput("product.field_missing", field=field)
    if len(t) > 64 or not all(ch.isalnum() or ch in "-_." for ch in t) or not t.isascii():
        raise InvalidInput("product.code_invalid", field=field, value=t[:64])
    return t


def _name(text: Any) -> str:
    name = clean_text(str(text or ""), field="name", required=True, max_chars=200)
    if not name:
        raise InvalidInput("product.field_missing", field="name")
    return name


def _price(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("money.invalid", value=str(value), field=field)
    return rules.check_amount(value, field)


def _checked(
    uow: UnitOfWork, ctx: ServiceContext, *, sku: Any, barcode: Any, name: Any, category: Any, price_fen: Any,
    member_price_fen: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = dict(
        sku=_code(sku, "sku"), barcode=_code(barcode, "barcode"), name=_name(name),
        category=rules.check_category(str(category or ""), category_list(uow, ctx)),
        price_fen=_price(price_fen, "price"),
        member_price_fen=None if member_price_fen is None else _price(member_price_fen, "member_price"),
    )
    if out["member_price_fen"] is not None and out["member_price_fen"] > out["price_fen"]:
        raise InvalidInput("product.member_price_above", member_price=Money(out["member_price_fen"]),
                           price=Money(out["price_fen"]))
    return out


def categories(ctx: ServiceContext, actor: Actor) -> list[str]:
    require(actor, "product.read")
    with ctx.uow(read_only=True) as uow:
        return list(category_list(uow, ctx))


def find_product(ctx: ServiceContext, actor: Actor, barcode: str) -> ProductDTO | None:
    """The product with this barcode (the scanner's path: one index seek), or None."""
    require(actor, "product.read")
    code = "".join(str(barcode or "").split())
    if not code:
        return None
    with ctx.uow(read_only=True) as uow:
        p = repo.products.by_barcode(uow.session, code)
        return dto(p) if p is not None else None


def get_product(ctx: ServiceContext, actor: Actor, sku: str) -> ProductDTO:
    require(actor, "product.read")
    with ctx.uow(read_only=True) as uow:
        p = repo.products.by_sku(uow.session, str(sku or "").strip())
        if p is None:
            raise NotFound("product.unknown", code=str(sku))
        return dto(p)


def search_products(ctx: ServiceContext, actor: Actor, text: str, limit: int = 20) -> list[ProductDTO]:
    """Active products whose name, SKU or barcode contains ``text``."""
    require(actor, "product.read")
    with ctx.uow(read_only=True) as uow:
        return [dto(p) for p in repo.products.search(uow.session, " ".join(str(text or "").split()), max(1, limit))]


def list_products(ctx: ServiceContext, actor: Actor, *, include_inactive: bool = False) -> list[ProductDTO]:
    require(actor, "product.read")
    with ctx.uow(read_only=True) as uow:
        return [dto(p) for p in repo.products.search(uow.session, "", MAX_IMPORT_ROWS, include_inactive)]


@use_case("product.add", permission="product.manage", event="product.changed", idempotent=True)
def add_product(
    ctx: ServiceContext, actor: Actor, *, sku: str, barcode: str, name: str, category: str, price_fen: int,
    member_price_fen: int | None = None, active: bool = True, request_id: str | None = None,
) -> ProductDTO:
    """Add a product to the catalogue (manager). SKU and barcode are unique."""
    request_id = check_request_id(request_id, ctx)
    with ctx.uow() as uow:
        s = uow.session
        values = _checked(uow, ctx, sku=sku, barcode=barcode, name=name, category=category, price_fen=price_fen,
                          member_price_fen=member_price_fen)
        params = {**values, "active": bool(active)}
        done = replayed(uow, request_id, "product.add", params)
        if done:
            p = repo.products.by_sku(s, values["sku"])
            assert p is not None
            return dto(p)
        if repo.products.by_sku(s, values["sku"]) is not None:
            raise Conflict("product.sku_taken", sku=values["sku"])
        if repo.products.by_barcode(s, values["barcode"]) is not None:
            raise Conflict("product.barcode_taken", barcode=values["barcode"])
        now = ctx.now()
        row = dict(id=ctx.new_id(), **params, created_at=now, updated_at=now)
        repo.products.add(s, [row])
        remember(uow, ctx, request_id, "product.add", row["id"], params)
        audit(uow, ctx, actor, "product.add", "product", row["id"], **params)
        emit(uow, ctx, "product.changed", {"action": "add", "products": [{"id": row["id"], **params}],
                                           "staff": actor.code})
        uow.commit()
        return ProductDTO(values["sku"], values["barcode"], values["name"], values["category"], values["price_fen"],
                          values["member_price_fen"], bool(active))


@use_case("product.update", permission="product.manage", event="product.changed")
def update_product(
    ctx: ServiceContext, actor: Actor, *, sku: str, barcode: str | None = None, name: str | None = None,
    category: str | None = None, price_fen: int | None = None, member_price_fen: Any = UNCHANGED,
    active: bool | None = None,
) -> ProductDTO:
    """Edit a product (manager); what is not given stays. ``member_price_fen=None`` removes the member price."""
    with ctx.uow() as uow:
        s = uow.session
        p = repo.products.by_sku(s, str(sku or "").strip())
        if p is None:
            raise NotFound("product.unknown", code=str(sku))
        values = _checked(
            uow, ctx, sku=p.sku, barcode=p.barcode if barcode is None else barcode, name=p.name if name is None else name,
            category=p.category if category is None else category, price_fen=p.price_fen if price_fen is None else price_fen,
            member_price_fen=p.member_price_fen if member_price_fen is UNCHANGED else member_price_fen,
        )
        values["active"] = bool(p.active if active is None else active)
        changes = {k: v for k, v in values.items() if getattr(p, k) != v}
        if not changes:
            raise InvalidInput("product.nothing_to_change")
        if "barcode" in changes:
            other = repo.products.by_barcode(s, changes["barcode"])
            if other is not None and other.id != p.id:
                raise Conflict("product.barcode_taken", barcode=changes["barcode"])
        before = {k: getattr(p, k) for k in changes}
        for k, v in changes.items():
            setattr(p, k, v)
        p.updated_at = ctx.now()
        audit(uow, ctx, actor, "product.update", "product", p.id, sku=p.sku, before=before, after=changes)
        emit(uow, ctx, "product.changed", {"action": "update", "products": [{"id": p.id, "sku": p.sku, **changes}],
                                           "staff": actor.code})
        result = dto(p)
        uow.commit()
        return result


def _read_rows(path: Path) -> list[list[Any]]:
    from pos_app.services.exports import export_format  # noqa: PLC0415

    fmt = export_format(path)
    try:
        if fmt == ".csv":
            raw = path.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise InvalidInput("product.import_file_invalid", path=str(path))
            return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
        from openpyxl import load_workbook  # noqa: PLC0415

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
            return [list(r) for r in wb.active.iter_rows(values_only=True)]
        except (zipfile.BadZipFile, KeyError, ValueError):
            raise InvalidInput("product.import_file_invalid", path=str(path)) from None
    except FileNotFoundError:
        raise InvalidInput("file.not_found", path=str(path)) from None
    except OSError as exc:
        raise InvalidInput("file.read_failed", path=str(path), detail=exc.strerror or str(exc)) from None


def _yuan_cell(value: Any, field: str) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, float):
        value = f"{value:.2f}"
    return parse_yuan(value if isinstance(value, str | int) else str(value), field=field)


@use_case("product.import", permission="product.manage", event="product.changed")
def import_products(ctx: ServiceContext, actor: Actor, path: str | Path) -> ImportReport:
    """Add or update the products of a CSV/XLSX file (columns ``sku, barcode, name, category, price,
    member_price``; a header row). All or nothing: one refused row and nothing is written; the report
    lists every refused row with its reason."""
    p = Path(path)
    rows = _read_rows(p)
    if not rows:
        raise InvalidInput("product.import_empty", path=str(p))
    header = [str(c or "").strip().lower() for c in rows[0]]
    missing = [c for c in IMPORT_COLUMNS if c not in header and c != "member_price"]
    if missing:
        raise InvalidInput("product.import_columns", missing=", ".join(missing), expected=", ".join(IMPORT_COLUMNS))
    col = {c: header.index(c) for c in IMPORT_COLUMNS if c in header}
    body = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(c not in (None, "") for c in r)]
    if len(body) > MAX_IMPORT_ROWS:
        raise InvalidInput("product.import_too_many", max=MAX_IMPORT_ROWS)
    with ctx.uow() as uow:
        s = uow.session
        refused: list[tuple[int, str]] = []
        good: list[tuple[int, dict[str, Any]]] = []
        seen_sku: dict[str, int] = {}
        seen_code: dict[str, int] = {}

        def cell(r: list[Any], name: str) -> Any:
            i = col.get(name)
            return r[i] if i is not None and i < len(r) else None

        for i, r in body:
            try:
                v = _checked(uow, ctx, sku=cell(r, "sku"), barcode=cell(r, "barcode"), name=cell(r, "name"),
                             category=cell(r, "category"), price_fen=_yuan_cell(cell(r, "price"), "price"),
                             member_price_fen=_yuan_cell(cell(r, "member_price"), "member_price"))
                if v["sku"] in seen_sku:
                    raise InvalidInput("product.import_sku_twice", sku=v["sku"], row=seen_sku[v["sku"]])
                if v["barcode"] in seen_code:
                    raise InvalidInput("product.import_barcode_twice", barcode=v["barcode"], row=seen_code[v["barcode"]])
            except DomainError as exc:
                refused.append((i, messages.translate(exc.key, exc.params)))
                continue
            seen_sku[v["sku"]] = i
            seen_code[v["barcode"]] = i
            good.append((i, v))
        existing = repo.products.by_skus(s, [v["sku"] for _, v in good])
        holders = repo.products.by_barcodes(s, [v["barcode"] for _, v in good])
        for i, v in good:
            holder = holders.get(v["barcode"])
            if holder is not None and holder.sku != v["sku"]:
                refused.append((i, messages.translate("product.barcode_taken", {"barcode": v["barcode"]})))
        if refused:
            refused.sort()
            return ImportReport(0, 0, tuple(refused))  # nothing written
        now = ctx.now()
        new_rows = []
        updated = 0
        for _, v in good:
            cur = existing.get(v["sku"])
            if cur is None:
                new_rows.append(dict(id=ctx.new_id(), **v, active=True, created_at=now, updated_at=now))
                continue
            if any(getattr(cur, k) != val for k, val in v.items()) or not cur.active:
                for k, val in v.items():
                    setattr(cur, k, val)
                cur.active = True
                cur.updated_at = now
                updated += 1
        repo.products.add(s, new_rows)
        if not new_rows and not updated:
            return ImportReport(0, 0, ())
        audit(uow, ctx, actor, "product.import", "product", p.name, added=len(new_rows), updated=updated)
        emit(uow, ctx, "product.changed", {
            "action": "import", "file": p.name, "staff": actor.code,
            "products": [{"sku": v["sku"], "barcode": v["barcode"], "name": v["name"], "category": v["category"],
                          "price_fen": v["price_fen"], "member_price_fen": v["member_price_fen"]} for _, v in good],
        })
        uow.commit()
        return ImportReport(len(new_rows), updated, ())
