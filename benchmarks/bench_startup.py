"""Start-up cost of the kit against pandas alone.

Runs fresh interpreters, alternating, and prints the median wall time of

* baseline: ``import pandas``
* kit:      ``import assured_kit; assured_kit.load_framework()``

and their ratio (target: at most 1.3). Also checks that ``import assured_kit`` pulls in
neither matplotlib nor ipywidgets.

Usage: ``.venv/bin/python benchmarks/bench_startup.py [--runs N]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

BASELINE = "import pandas"
KIT = "import assured_kit; assured_kit.load_framework()"
HEAVY = (
    "import sys, assured_kit; assured_kit.load_framework(); "
    "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'openpyxl') if m in sys.modules))"
)


def run_once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    run_once(KIT)  # warm the file cache and byte-code
    base, kit = [], []
    for _ in range(args.runs):
        base.append(run_once(BASELINE))
        kit.append(run_once(KIT))
    b, k = statistics.median(base), statistics.median(kit)
    heavy = subprocess.run(
        [sys.executable, "-c", HEAVY], check=True, capture_output=True, text=True
    )
    print(f"runs: {args.runs} of each, alternating, fresh interpreters")
    print(f"baseline  import pandas                     median {b * 1000:7.1f} ms")
    print(f"kit       import assured_kit + framework    median {k * 1000:7.1f} ms")
    print(f"ratio     kit / baseline                    {k / b:.2f}  (target <= 1.30)")
    print(f"heavy modules loaded by the import: {heavy.stdout.strip()}  (target: [])")


if __name__ == "__main__":
    main()
