"""Head office's reports as files: one table in a spreadsheet (.xlsx or .csv, the store's writer in
``printing/sheets.py``) or A4 pages (.pdf, ``printing/reports_pdf.tables_pdf``), labelled from the message
catalogues in the current language (zh_CN unless ``POS_LANG`` says otherwise). The files carry the report's
figures as they are (never recomputed): money as exact yuan in the spreadsheets, ``¥1,234.50`` in the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.central.services_common import CentralError
from pos_app.domain.errors import DomainError
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Money

FORMATS = (".xlsx", ".csv", ".pdf")
#: payment methods with a label of their own (checkout.method.*); another is shown as it is
METHODS = ("balance", "cash", "wechat", "alipay", "card", "other")

#: the campaign figures' column labels, in the order of ``services_reports.FIGURES`` (the ``by_*`` maps are
#: spread into one column per method and per category where they stand)
CAMPAIGN_COLUMNS = {
    "recharges": "central.report.col.recharges",
    "principal_fen": "central.report.col.principal",
    "bonus_fen": "report.col.bonus",
    "new_recharging_members": "central.report.col.new_members",
    "sales_count": "report.col.sales_count",
    "sales_fen": "report.col.paid",
    "sales_total_fen": "report.col.sales",
    "returns_count": "report.col.returns_count",
    "returns_fen": "report.col.returns",
    "refunds_count": "central.report.col.refunds",
    "refund_principal_fen": "central.report.col.refund_principal",
    "refund_bonus_fen": "central.report.col.refund_bonus",
    "coupons_issued": "central.report.col.coupons_issued",
    "coupons_redeemed": "central.report.col.coupons_redeemed",
    "coupons_voided": "central.report.col.coupons_voided",
    "discount_fen": "central.report.col.discount",
}
#: the columns of the campaign PDF (a portrait page holds these), with their shares of the width
PDF_COLUMNS = (("recharges", 0.07), ("principal_fen", 0.11), ("bonus_fen", 0.1), ("new_recharging_members", 0.08),
               ("sales_count", 0.07), ("sales_fen", 0.11), ("returns_fen", 0.09), ("refund_principal_fen", 0.1),
               ("coupons_issued", 0.07), ("coupons_redeemed", 0.07))
KIND_LABELS = {"recharge": "report.kind.recharge", "spend": "report.kind.spend",
               "sale_payment": "report.kind.sale_payment", "refund": "report.kind.refund",
               "sale_return": "report.kind.sale_return", "adjust": "report.kind.adjust"}


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params or None)


def method_label(method: str) -> str:
    return _t(f"checkout.method.{method}") if method in METHODS else method


def kind_label(kind: str) -> str:
    key = KIND_LABELS.get(kind)
    return _t(key) if key else kind


def check_path(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise CentralError(400, "bad_input", f"{path}: the file must end in {', '.join(FORMATS)}")
    target = Path(path)
    if target.is_dir() or target.is_symlink():
        raise CentralError(400, "bad_input", f"{path} is a folder or a symbolic link: name a file")
    if not target.parent.is_dir():
        raise CentralError(400, "bad_input", f"no folder {target.parent}")
    return suffix


def write(report: dict[str, Any], kind: str, path: str | Path) -> Path:
    """Write a ``campaign`` or ``liability`` report to ``path`` (.xlsx, .csv or .pdf)."""
    suffix = check_path(path)
    try:
        if suffix == ".pdf":
            if kind == "campaign":
                campaign_pdf(report, path)
            else:
                liability_pdf(report, path)
            return Path(path)
        from pos_app.printing.sheets import write_table  # noqa: PLC0415

        headers, rows = campaign_table(report) if kind == "campaign" else liability_table(report)
        return write_table(path, headers, rows, title=kind)
    except DomainError as err:
        raise CentralError(400, "bad_input", messages.tr_error(err, "en")) from None
    except OSError as exc:
        raise CentralError(400, "bad_input", f"cannot write {path}: {exc}") from None


def _scope(report: dict[str, Any]) -> str:
    if report.get("store"):
        st = report["stores"][0] if report.get("stores") else {"name": report["store"], "store_code": report["store"]}
        return f"{st['name']} ({st['store_code']})"
    return _t("central.report.all_stores")


def _summary(report: dict[str, Any]) -> list[str]:
    out = [_t("report.liability.period", start=report["from"], end=report["to"])]
    if report.get("campaign"):
        out.append(_t("central.report.campaign", code=report["campaign"]))
    for st in report["stores"]:
        key = "central.report.store_tz" if st["timezone_known"] else "central.report.store_tz_assumed"
        out.append(_t(key, store=f"{st['name']} ({st['store_code']})", tz=st["timezone"]))
    return out


# ----------------------------------------------------------------------------- campaign
def _keys(report: dict[str, Any], name: str) -> list[str]:
    return sorted({k for d in report["days"] for k in d[name]})


def campaign_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows: each store's days and its total, then the days across the stores and the total."""
    from pos_app.printing.sheets import yuan  # noqa: PLC0415

    methods, cats = _keys(report, "by_method_fen"), _keys(report, "by_category_fen")
    headers = [_t("central.report.col.store"), _t("report.col.date")]
    for name, key in CAMPAIGN_COLUMNS.items():
        headers.append(_t(key))
        if name == "sales_total_fen":
            headers += [_t("report.col.by_method", method=method_label(m)) for m in methods]
            headers += [_t("report.col.by_category", category=c) for c in cats]

    def cells(store: str, day: str, f: dict[str, Any]) -> list[Any]:
        row: list[Any] = [store, day]
        for name in CAMPAIGN_COLUMNS:
            row.append(yuan(f[name]) if name.endswith("_fen") else f[name])
            if name == "sales_total_fen":
                row += [yuan(f["by_method_fen"].get(m, 0)) for m in methods]
                row += [yuan(f["by_category_fen"].get(c, 0)) for c in cats]
        return row

    total = _t("report.col.total")
    rows: list[list[Any]] = []
    for st in report["stores"]:
        rows += [cells(st["store_code"], d["date"], d) for d in st["days"]]
        rows.append(cells(st["store_code"], total, st["totals"]))
    if not report.get("store"):
        everyone = _t("central.report.all_stores")
        rows += [cells(everyone, d["date"], d) for d in report["days"]]
        rows.append(cells(everyone, total, report["totals"]))
    return headers, rows


def _pdf_row(first: str, f: dict[str, Any]) -> list[str]:
    return [first] + [format_fen(f[n]) if n.endswith("_fen") else str(f[n]) for n, _w in PDF_COLUMNS]


def campaign_pdf(report: dict[str, Any], out: str | Path) -> None:
    from pos_app.printing.reports_pdf import PdfTable, tables_pdf  # noqa: PLC0415

    headers = [_t("report.col.date")] + [_t(CAMPAIGN_COLUMNS[n]) for n, _w in PDF_COLUMNS]
    widths = (0.13, *(w for _n, w in PDF_COLUMNS))
    total = _t("report.col.total")
    sections = [] if report.get("store") else [(_t("central.report.all_stores"), report["days"], report["totals"])]
    sections += [(f"{st['name']} ({st['store_code']})", st["days"], st["totals"]) for st in report["stores"]]
    tables = [PdfTable(headers, [_pdf_row(d["date"], d) for d in rows] + [_pdf_row(total, totals)], widths,
                       caption=caption, size=7.5) for caption, rows, totals in sections]
    t = report["totals"]
    summary = _summary(report) + [
        _t("central.report.recharged", principal=Money(t["principal_fen"]), bonus=Money(t["bonus_fen"]),
           members=t["new_recharging_members"]),
        _t("central.report.sold", paid=Money(t["sales_fen"]), count=t["sales_count"]),
    ]
    tables_pdf(out, title=_t("central.report.campaign_title"), store=_scope(report), summary=summary, tables=tables)


# ----------------------------------------------------------------------------- liability
def _lines(part: dict[str, Any]) -> list[tuple[str, int | None, int, int]]:
    out: list[tuple[str, int | None, int, int]] = [
        (_t("report.liability.opening"), None, part["opening"]["principal_fen"], part["opening"]["bonus_fen"])]
    out += [(kind_label(m["kind"]), m["count"], m["principal_fen"], m["bonus_fen"]) for m in part["movements"]]
    out.append((_t("report.liability.closing"), None, part["closing"]["principal_fen"], part["closing"]["bonus_fen"]))
    return out


def _parts(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    parts = [(f"{st['name']} ({st['store_code']})", st) for st in report["stores"]]
    if not report.get("store"):
        parts.append((_t("central.report.all_stores"), report["total"]))
    return parts


OVER_CAP_HEADERS = ("central.report.col.store", "report.col.phone", "report.col.name", "report.col.principal",
                    "report.col.bonus", "report.col.balance")


def liability_table(report: dict[str, Any]) -> tuple[list[str], list[Sequence[Any]]]:
    """Each store's opening, movements and closing, then the total; then the members above the cap."""
    from pos_app.printing.sheets import yuan  # noqa: PLC0415

    headers = [_t("central.report.col.store"), _t("report.col.item"), _t("report.col.count"),
               _t("report.col.principal"), _t("report.col.bonus"), _t("report.col.total")]
    rows: list[Sequence[Any]] = []
    for name, part in _parts(report):
        rows += [[name, label, count, yuan(p), yuan(b), yuan(p + b)] for label, count, p, b in _lines(part)]
    over = report["total"]["over_cap"]
    if over:
        rows.append([])
        rows.append([_t(h) for h in OVER_CAP_HEADERS])
        rows += [[o["store_code"], o["phone"] or "", o["name"] or "", yuan(o["principal_fen"]), yuan(o["bonus_fen"]),
                  yuan(o["balance_fen"])] for o in over]
    return headers, rows


def liability_pdf(report: dict[str, Any], out: str | Path) -> None:
    from pos_app.printing.reports_pdf import PdfTable, tables_pdf  # noqa: PLC0415

    headers = [_t("report.col.item"), _t("report.col.count"), _t("report.col.principal"), _t("report.col.bonus"),
               _t("report.col.total")]
    widths = (0.36, 0.1, 0.18, 0.18, 0.18)
    tables = [PdfTable(headers, [[label, "" if count is None else str(count), format_fen(p), format_fen(b),
                                  format_fen(p + b)] for label, count, p, b in _lines(part)], widths, caption=name)
              for name, part in _parts(report)]
    total = report["total"]
    summary = _summary(report) + [
        _t("report.liability.owed_principal", amount=Money(total["closing"]["principal_fen"])),
        _t("report.liability.owed_bonus", amount=Money(total["closing"]["bonus_fen"])),
        _t("report.liability.holders", count=total["members_with_balance"]),
        _t("report.liability.balanced") if total["balanced"] else _t("central.report.unbalanced"),
    ]
    for st in report["stores"]:
        name = f"{st['name']} ({st['store_code']})"
        if st["cap_fen"] is None:
            summary.append(_t("central.report.cap_unknown", store=name))
        elif st["cap_fen"] == 0:
            summary.append(_t("central.report.no_cap", store=name))
        else:
            summary.append(_t("central.report.over_cap", store=name, cap=Money(st["cap_fen"]),
                              count=len(st["over_cap"])))
    if total["over_cap"]:
        tables.append(PdfTable([_t(h) for h in OVER_CAP_HEADERS],
                               [[o["store_code"], o["phone"] or "", o["name"] or "", format_fen(o["principal_fen"]),
                                 format_fen(o["bonus_fen"]), format_fen(o["balance_fen"])] for o in total["over_cap"]],
                               (0.14, 0.2, 0.18, 0.16, 0.16, 0.16), caption=_t("central.report.over_cap_title")))
    tables_pdf(out, title=_t("central.report.liability_title"), store=_scope(report), summary=summary, tables=tables)
