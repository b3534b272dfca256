"""One shape for every measured figure, so `make bench` can say at a glance which goals hold.

A benchmark module's ``run(quick)`` returns its detailed dict with a ``"figures"`` list made by
:func:`figure`: the value, the baseline measured in the same run (and what it is), the ratio, the goal
from the issue that asked for it, what the goal applies to (the value or the ratio) and whether it holds.
:func:`collect` gathers them over modules and :func:`table` renders them for people (stderr)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

OPS = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, ">": lambda a, b: a > b}


def figure(name: str, value: float, *, unit: str, goal: float | None = None, op: str = "<=",
           baseline: float | None = None, baseline_is: str | None = None, goal_on: str = "value",
           issue: int | None = None) -> dict[str, Any]:
    """One figure. ``goal_on="ratio"`` judges ``value / baseline`` against ``goal``; ``"value"`` the value
    itself (the ratio is still reported when there is a baseline). A figure without a goal is informative."""
    if op not in OPS:
        raise ValueError(f"unknown goal operator {op!r}")
    if goal_on not in ("value", "ratio"):
        raise ValueError(f"goal_on must be 'value' or 'ratio', not {goal_on!r}")
    if goal_on == "ratio" and baseline is None:
        raise ValueError(f"{name}: a goal on the ratio needs a baseline")
    value, baseline = _sig(value), None if baseline is None else _sig(baseline)
    ratio = None
    if baseline is not None:  # from the figures as reported, so anyone can recompute it
        ratio = round(value / baseline, 2) if baseline > 0 else math.inf
    judged = ratio if goal_on == "ratio" else value
    passed = None if goal is None or judged is None else bool(OPS[op](judged, goal))
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_is": baseline_is,
        "ratio": ratio,
        "goal": goal,
        "goal_op": op,
        "goal_on": goal_on,
        "issue": issue,
        "pass": passed,
    }


def _sig(x: float) -> float:
    """Six significant digits: small baselines (a 0.024 ms lookup) keep their precision."""
    return float(f"{float(x):.6g}")


def collect(benchmarks: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every module's figures, each named ``module.figure``; a module that failed gives one failed figure."""
    out: list[dict[str, Any]] = []
    for module, result in benchmarks.items():
        if "error" in result:
            out.append({"name": f"{module}", "value": None, "unit": "", "baseline": None, "baseline_is": None,
                        "ratio": None, "goal": None, "goal_op": None, "goal_on": None, "issue": None,
                        "pass": False, "error": result["error"]})
            continue
        for f in result.get("figures", ()):
            out.append({**f, "name": f"{module}.{f['name']}"})
    return out


def summary(figures: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [f for f in figures if f["pass"] is not None]
    return {
        "figures": len(figures),
        "goals": len(judged),
        "met": sum(1 for f in judged if f["pass"]),
        "not_met": [f["name"] for f in judged if not f["pass"]],
    }


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return f"{x:g}" if isinstance(x, float) else str(x)


def table(figures: list[Mapping[str, Any]]) -> str:
    """A fixed-width table: figure, value, baseline, ratio, goal, verdict."""
    head = ("figure", "value", "baseline", "ratio", "goal", "")
    rows = [head]
    for f in figures:
        goal = "-" if f.get("goal") is None else f"{'ratio ' if f['goal_on'] == 'ratio' else ''}{f['goal_op']} {_num(f['goal'])}"
        verdict = {True: "ok", False: "NOT MET", None: ""}[f["pass"]] if "error" not in f else "ERROR"
        unit = f" {f['unit']}" if f.get("unit") else ""
        rows.append((f["name"], _num(f["value"]) + unit, _num(f.get("baseline")), _num(f.get("ratio")), goal, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
