"""Which HTTP stack for `stance serve`: uvicorn's pure-Python defaults (h11 + asyncio) or its C
parser and event loop (httptools + uvloop, runtime dependencies of stance).

    python benchmarks/http_impl.py [--model models/stance.joblib] [--rounds 3] [--duration 5] [--out FILE]

(The README's figures come from `--rounds 5`.)

Serves the stance app both ways, alternating, and drives each with wrk (8 connections,
single-statement POST /v1/predict, as benchmarks/serve.py). Needs `wrk` (Debian package).
Prints requests/s per run and the median per stack, and writes benchmarks/results/http_impl.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve  # noqa: E402  (the serving benchmark's helpers)
from report import check_model, check_out, positive_int, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER = """
import sys, uvicorn
from stance.api import create_app
http, loop, port, model = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
uvicorn.run(create_app(model), host="127.0.0.1", port=port, http=http, loop=loop, log_level="warning",
            access_log=False)
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "stance.joblib")
    ap.add_argument("--rounds", type=positive_int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--duration", type=positive_int, default=5, help="seconds per run (default 5)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "http_impl.md")
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        ap.error("needs wrk (apt install wrk)")
    check_out(ap, args.out)
    check_model(ap, args.model)
    stacks = [("h11", "asyncio"), ("httptools", "uvloop")]
    runs: dict[str, list[float]] = {f"{h} + {lp}": [] for h, lp in stacks}
    for _ in range(args.rounds):
        for http, loop in stacks:
            port = serve.free_port()
            proc = serve.start([sys.executable, "-c", SERVER, http, loop, str(port), str(args.model)], port)
            try:
                r = serve.run_wrk(f"http://127.0.0.1:{port}/v1/predict", 8, args.duration)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            runs[f"{http} + {loop}"].append(r["rps"])
            print(f"{http} + {loop}: {r['rps']:.0f} req/s, p99 {r['p99']:.2f} ms", file=sys.stderr)
    lines = [f"HTTP stack for stance serve, {dt.date.today().isoformat()}: wrk, 8 connections, {args.duration} s per run, "
             f"{args.rounds} alternating rounds, one worker.", "",
             "| stack | requests/s per run | median |", "|---|---|---|"]
    for name, values in runs.items():
        lines.append(f"| {name} | {', '.join(f'{v:,.0f}' for v in values)} | {statistics.median(values):,.0f} |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
