"""`pos-app report ...`: what managers watch, as figures on the terminal, --json or a file.

    report liability --from DAY --to DAY [--out FILE.pdf|.csv|.xlsx]   prepaid liability (managers)
    report shift [--open --float YUAN | --close --counted YUAN] [--cashier CODE] [--out FILE.pdf] [--layout a4]
    report sales --from DAY --to DAY [--out FILE.csv|.xlsx]             daily sales (managers)
    report campaign [--campaign CODE] [--from DAY --to DAY] [--out FILE.xlsx|.csv|.pdf]
                                     the campaign's daily figures and its evaluation against its targets (managers)

Days are store-local (YYYY-MM-DD). ``report shift`` is the logged-in staff member's shift (``--staff``
is the login); a manager may look at another cashier's with ``--cashier CODE``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any

from pos_app import messages
from pos_app.cli.base import Cli, date_arg, write_output
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Money


def _days(a: argparse.Namespace) -> tuple[date, date]:
    start = date_arg(a.start, "report.date_invalid")
    end = date_arg(a.end, "report.date_invalid")
    if start is None or end is None:  # both options are required, but may be given empty (--from "")
        raise InvalidInput("report.date_invalid", value=a.start if start is None else a.end)
    return start, end


def cmd_liability(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services.reports import liability  # noqa: PLC0415

    start, end = _days(a)
    if a.out:
        write_output(a.out, lambda p: liability.export(cli.ctx, cli.actor(), p, from_day=start, to_day=end),
                            force=a.force)
        return cli.emit({"path": str(a.out)}, messages.translate("report.written", {"path": str(a.out)}))
    r = liability.liability(cli.ctx, cli.actor(), from_day=start, to_day=end)

    def human() -> str:
        out = liability.summary_lines(r)
        for label, count, p, b, pts in liability.lines(r):
            figures = [f"{format_fen(p)} / {format_fen(b)}" if p is not None and b is not None else "",
                       "" if pts is None else messages.translate("report.points_n", {"points": pts}),
                       "" if count is None else f"×{count}"]
            out.append(f"  {label:<16} " + "  ".join(f for f in figures if f))
        for o in r.over_cap:
            out.append(f"  ! {o.phone} {o.name or ''} {format_fen(o.balance_fen)}")
        return "\n".join(out)

    return cli.emit(liability.json_dict(r), human)


def _shift_text(rep: Any, cli: Cli) -> str:
    from pos_app.services.reports import shift  # noqa: PLC0415

    t = messages.translate
    out = [t("report.shift.head", {"staff": rep.staff_code, "opened": cli.local(rep.opened_at),
                                   "state": t("report.shift.state_closed") if rep.state == "closed" else t("report.shift.state_open")})]
    for sec in rep.sections:
        rows = ", ".join(f"{shift.method_label(r.method)} ×{r.count} {format_fen(r.amount_fen)}" for r in sec.rows)
        out.append(f"  {shift.section_label(sec.kind)}: {rows or t('report.shift.none')}")
    out.append(t("report.shift.till", {"float": Money(rep.float_fen), "cash_in": Money(rep.cash_in_fen),
                                       "cash_out": Money(rep.cash_out_fen), "expected": Money(rep.expected_fen)}))
    if rep.counted_fen is not None and rep.difference_fen is not None:
        out.append(t("report.shift.counted_line", {"counted": Money(rep.counted_fen),
                                                   "difference": Money(rep.difference_fen)}))
    return "\n".join(out)


def cmd_shift(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services.reports import shift  # noqa: PLC0415

    if a.open and a.close:
        raise InvalidInput("report.shift_open_or_close")
    if a.open and a.float is None:
        raise InvalidInput("report.float_needed")
    if a.close and a.counted is None:
        raise InvalidInput("report.counted_needed")
    if (a.float is not None and not a.open) or (a.counted is not None and not a.close):
        raise InvalidInput("report.shift_open_or_close")
    float_fen = None if a.float is None else money_arg_zero(a.float, "float")
    counted_fen = None if a.counted is None else money_arg_zero(a.counted, "counted")
    if a.open and a.cashier or a.close and a.cashier:
        raise InvalidInput("report.shift_own_only")
    if a.open:
        assert float_fen is not None
        rep = shift.open_shift(cli.ctx, cli.actor(), float_fen=float_fen, request_id=a.request_id)
    elif a.close:
        assert counted_fen is not None
        rep = shift.close_shift(cli.ctx, cli.actor(), counted_fen=counted_fen, request_id=a.request_id)
    else:
        found = shift.current_shift(cli.ctx, cli.actor(), staff_code=a.cashier)
        if found is None:
            return cli.emit({"shift": None}, messages.translate("report.shift.never"))
        rep = found
    if a.out:
        from pos_app.printing.reports_pdf import shift_pdf  # noqa: PLC0415
        from pos_app.services.counter import store_brief  # noqa: PLC0415

        brief = store_brief(cli.ctx)
        write_output(a.out, lambda p: shift_pdf(rep, brief.name, p, tz=brief.timezone, layout=a.layout), force=a.force)
    return cli.emit(shift.json_dict(rep), lambda: _shift_text(rep, cli))


def money_arg_zero(text: str, field: str) -> int:
    from pos_app.domain.money import parse_yuan  # noqa: PLC0415

    return parse_yuan(text, allow_zero=True, field=field)


def cmd_sales(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services.reports import sales  # noqa: PLC0415

    start, end = _days(a)
    if a.out:
        write_output(a.out, lambda p: sales.export(cli.ctx, cli.actor(), p, from_day=start, to_day=end), force=a.force)
        return cli.emit({"path": str(a.out)}, messages.translate("report.written", {"path": str(a.out)}))
    rows = sales.daily_sales(cli.ctx, cli.actor(), from_day=start, to_day=end)

    def human() -> str:
        out = []
        for d in rows:
            methods = ", ".join(f"{k} {format_fen(v)}" for k, v in sorted(d.by_method_fen.items()))
            out.append(f"{d.day.isoformat()}  ×{d.sales_count}  {format_fen(d.sales_fen)}  "
                       f"({messages.translate('report.col.paid')} {format_fen(d.paid_fen)})  {methods}"
                       + (f"  -{format_fen(d.returns_fen)}" if d.returns_fen else ""))
        return "\n".join(out)

    return cli.emit(sales.json_rows(rows), human)


def cmd_campaign(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services.reports import campaign  # noqa: PLC0415

    start = date_arg(a.start, "report.date_invalid")
    end = date_arg(a.end, "report.date_invalid")
    if (start is None) != (end is None):
        raise InvalidInput("dashboard.period_needs_days")
    if a.out:
        if start is None or end is None:
            _info, per = campaign.resolve(cli.ctx, cli.actor(), campaign_code=a.campaign)
            start, end = per.from_day, per.to_day
        s, e = start, end
        write_output(a.out, lambda p: campaign.export(cli.ctx, cli.actor(), p, campaign_code=a.campaign,
                                                      from_day=s, to_day=e), force=a.force)
        return cli.emit({"path": str(a.out)}, messages.translate("report.written", {"path": str(a.out)}))
    r = campaign.campaign_report(cli.ctx, cli.actor(), campaign_code=a.campaign, from_day=start, to_day=end)

    def human() -> str:
        _t = messages.translate
        out = [_t("dashboard.report_head", {"campaign": f"{r.campaign.code} {r.campaign.name}",
                                           "start": r.period.from_day.isoformat(), "end": r.period.to_day.isoformat(),
                                           "prev_start": r.previous.from_day.isoformat(),
                                           "prev_end": r.previous.to_day.isoformat()})]
        for sec in r.sections:
            if not sec.available:
                out.append(f"{sec.title}: {sec.note_text}")
                continue
            out.append(f"{sec.title}:")
            for f in sec.figures:
                extra = []
                if f.previous is not None:
                    extra.append(_t("dashboard.previous_short", {"value": campaign.value_text(f.previous, f.unit)}))
                if f.target is not None:
                    extra.append(campaign.target_text(f))
                out.append(f"  {f.label:<14} {campaign.value_text(f.value, f.unit)}"
                           + (f"  ({', '.join(extra)})" if extra else ""))
        out.append(_t("dashboard.col.evaluation") + ":")
        for label, target, actual, met in campaign.evaluation_lines(r):
            out.append(f"  {label:<14} {actual} / {target} {met}".rstrip())
        return "\n".join(out)

    return cli.emit(campaign.json_dict(r), human)


def register(sub: Any, common: argparse.ArgumentParser, add: Callable[..., argparse.ArgumentParser]) -> None:
    ap = sub.add_parser("report", help="reports: prepaid liability, shift (交班), daily sales, campaign").add_subparsers(
        dest="sub", metavar="REPORT", required=True)
    sp = add("liability", cmd_liability, "prepaid liability for a period (manager)", ap)
    sp.add_argument("--from", dest="start", required=True, help="first store-local day, YYYY-MM-DD")
    sp.add_argument("--to", dest="end", required=True, help="last store-local day, YYYY-MM-DD")
    sp.add_argument("--out", help="FILE.pdf, FILE.csv or FILE.xlsx")
    sp.add_argument("--force", action="store_true", help="write through a symbolic link")
    sp = add("shift", cmd_shift, "the logged-in cashier's shift: open, close, or show", ap)
    sp.add_argument("--open", action="store_true", help="open a shift (with --float)")
    sp.add_argument("--float", help="the float in the till at the open, yuan")
    sp.add_argument("--close", action="store_true", help="close the open shift (with --counted)")
    sp.add_argument("--counted", help="the cash counted in the till at the close, yuan")
    sp.add_argument("--cashier", help="(manager) show this staff code's shift")
    sp.add_argument("--request-id", dest="request_id")
    sp.add_argument("--out", help="write the shift report to FILE.pdf")
    sp.add_argument("--layout", choices=("80mm", "a4"), default="80mm")
    sp.add_argument("--force", action="store_true", help="write through a symbolic link")
    sp = add("sales", cmd_sales, "daily sales by payment method and category (manager)", ap)
    sp.add_argument("--from", dest="start", required=True, help="first store-local day, YYYY-MM-DD")
    sp.add_argument("--to", dest="end", required=True, help="last store-local day, YYYY-MM-DD")
    sp.add_argument("--out", help="FILE.csv or FILE.xlsx")
    sp.add_argument("--force", action="store_true", help="write through a symbolic link")
    sp = add("campaign", cmd_campaign, "a campaign's daily figures and its evaluation (manager)", ap)
    sp.add_argument("--campaign", help="campaign code (default: the running one, else the newest)")
    sp.add_argument("--from", dest="start", help="first store-local day, YYYY-MM-DD (default: the campaign to date)")
    sp.add_argument("--to", dest="end", help="last store-local day, YYYY-MM-DD")
    sp.add_argument("--out", help="FILE.xlsx, FILE.csv or FILE.pdf")
    sp.add_argument("--force", action="store_true", help="write through a symbolic link")

