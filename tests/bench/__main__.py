"""`make bench`: run every benchmark module ``tests/bench/bench_*.py`` and print one JSON document.

Each module defines ``run(quick: bool) -> dict`` returning its figures, including the baseline it
measured in the same run and the ratio against it. ``--only NAME`` runs one; ``--quick`` uses small
sizes (for a smoke run in tests)."""

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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make bench")
    p.add_argument("--only", action="append", help="benchmark module name (e.g. recharge)")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--out", help="also write the JSON to this file")
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
            report["benchmarks"][name.removeprefix("bench_")] = mod.run(quick=args.quick)  # type: ignore[index]
        except Exception as exc:  # report and go on with the others
            traceback.print_exc()
            report["benchmarks"][name.removeprefix("bench_")] = {"error": repr(exc)}  # type: ignore[index]
            failed = True
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
