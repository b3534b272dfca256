"""`make bench`: run every benchmark module ``tests/bench/bench_*.py`` and print one JSON document.

Each module defines ``run(quick: bool) -> dict`` returning its detailed figures and a ``"figures"`` list
(:mod:`tests.bench.figures`): each value with the baseline measured in the same run, the ratio, the goal
of the issue that asked for it and whether it holds. The document gathers them under ``"figures"`` with a
``"summary"`` (goals met / not met), writes it to ``bench.json`` (or ``--out``), and prints a table on
stderr. ``--only NAME`` runs one; ``--quick`` (``make bench QUICK=1``) uses small sizes (what the test
suite smoke-runs). The exit code is 1 only when a benchmark could not run, never for a goal not met."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from tests.bench import figures as fig


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make bench")
    p.add_argument("--only", action="append", help="benchmark module name (e.g. recharge)")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--out", default="bench.json", help="also write the JSON to this file (default bench.json)")
    args = p.parse_args(argv)
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only or n in args.only]
    report: dict[str, object] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "quick": args.quick,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "benchmarks": {},
    }
    failed = False
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            mod = importlib.import_module(f"tests.bench.{name}")
            result = mod.run(quick=args.quick)
            if hasattr(mod, "figures"):
                result["figures"] = mod.figures(result)
            report["benchmarks"][name.removeprefix("bench_")] = result  # type: ignore[index]
        except Exception as exc:  # report and go on with the others
            traceback.print_exc()
            report["benchmarks"][name.removeprefix("bench_")] = {"error": repr(exc)}  # type: ignore[index]
            failed = True
    benchmarks: dict[str, dict[str, object]] = report["benchmarks"]  # type: ignore[assignment]
    figures = fig.collect(benchmarks)
    report["figures"] = figures
    report["summary"] = fig.summary(figures)
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(fig.table(figures), file=sys.stderr)
    summ: dict[str, Any] = report["summary"]  # type: ignore[assignment]
    not_met = summ["not_met"]
    print(f"goals met: {summ['met']} of {summ['goals']}" + (f"; not met: {', '.join(not_met)}" if not_met else ""),
          file=sys.stderr)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
