"""Run every benchmark, print the table and write the figures as JSON (see README.md)."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from benchmarks.cases import (
    Figure,
    bench_backend,
    bench_bulk,
    bench_call_overhead,
    bench_client_filter,
    bench_import,
    bench_pagination,
    bench_pytest_startup,
    bench_tracking,
)
from notifiedby import NotifiedByClient, __version__
from notifiedby.sandbox import Sandbox

RESULTS = Path(__file__).parent / "results"

#: The sizes the targets are stated for, and a quick set to check the harness itself.
FULL = {
    "calls": 1000, "items": 100_000, "bulk": 1000, "messages": 1000, "imports": 15,
    "tracked": 10_000, "life": 150,
}  # fmt: skip
QUICK = {
    "calls": 100, "items": 5000, "bulk": 100, "messages": 100, "imports": 3, "tracked": 300,
    "life": 30,
}  # fmt: skip


def table(figures: list[Figure]) -> str:
    """Return the figures as a Markdown table."""
    lines = ["| figure | measured | target | met | detail |", "|---|---|---|---|---|"]
    for f in figures:
        value = "skipped" if f.value is None else f"{f.value:g} {f.unit}"
        met = {True: "yes", False: "**no**", None: "-"}[f.met]
        lines.append(f"| {f.name} | {value} | {f.target} | {met} | {f.detail} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the harness")
    parser.add_argument("--output", type=Path, help="JSON file (default: benchmarks/results/)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    figures: list[Figure] = []
    with Sandbox() as sandbox:
        with NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            figures += bench_call_overhead(sandbox, client, sizes["calls"])
            figures += bench_pagination(sandbox, client, sizes["items"])
            figures += bench_client_filter(sandbox, client, sizes["items"])
        figures += bench_backend(sandbox, sizes["messages"])
    figures += bench_bulk(sizes["bulk"], concurrency=16, latency=0.02)
    figures += bench_tracking(sizes["tracked"], latency=0.02, life=sizes["life"])
    figures += bench_import(sizes["imports"])
    figures += bench_pytest_startup(sizes["imports"])
    elapsed = time.perf_counter() - started
    print(table(figures))
    print(f"\n{len(figures)} figures in {elapsed:.0f} s")
    output = args.output or RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sizes": sizes,
        "seconds": round(elapsed, 1),
        "figures": [f.to_dict() for f in figures],
    }
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"JSON written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
