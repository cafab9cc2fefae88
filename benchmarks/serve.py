"""HTTP serving benchmark: `stance serve` against a bare echo route, on loopback.

    python benchmarks/serve.py [--model models/stance.joblib] [--duration 8] [--rounds 3] [--workers 1,2] [--out FILE]

Starts each server on a free 127.0.0.1 port, waits for /health, then drives POST /v1/predict
with single-statement requests (the seed report's sentences in rotation) at 1 and 8 concurrent connections for a fixed duration, using
`wrk` (Debian package) when installed, else a bounded asyncio httpx client. Runs vary by a third
on a small shared machine, so every server is measured in each of several alternating rounds and
the table gives medians, each rate also as a share of the echo route's rate in the same round.
Prints requests/s and p50/p99 latency, and writes them to benchmarks/results/serve.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import check_model, check_out, positive_int, publish, require  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "reports" / "seed-nk-arms-denial.txt"


def bodies() -> list[str]:
    """One single-statement request body per sentence of the seed report, sent in rotation so
    that no cache of the last text can serve consecutive requests."""
    from stance.text import split_sentences
    return [json.dumps({"texts": [s.text]}) for s in split_sentences(SEED.read_text(encoding="utf-8"))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if response.status == 200:
                    return proc
        except OSError:  # refused, reset or timed out while the server starts
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read()}")
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become ready")


def run_wrk(url: str, connections: int, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        items = ",\n".join("  " + json.dumps(b) for b in bodies())
        fh.write(f"bodies = {{\n{items}\n}}\ni = 0\n"
                 "request = function()\n  i = i % #bodies + 1\n"
                 '  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])\nend\n')
        script = fh.name
    out = subprocess.run(["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{duration}s",
                          "--latency", "-s", script, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script)

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "errors": int(errors.group(1)) if errors else 0}


async def _client_load(url: str, connections: int, duration: float) -> dict:
    import httpx  # only without wrk (the `serve-bench` extra)

    lat: list[float] = []
    errors = 0
    items = bodies()
    stop = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await client.post(url, content=items[len(lat) % len(items)],
                                      headers={"content-type": "application/json"})
                lat.append((time.perf_counter() - t0) * 1000)
                errors += r.status_code != 200
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - t0
    lat.sort()
    return {"rps": len(lat) / elapsed, "p50": statistics.median(lat), "p99": lat[int(0.99 * (len(lat) - 1))],
            "errors": errors}


def load(url: str, connections: int, duration: int) -> dict:
    if shutil.which("wrk"):
        return run_wrk(url, connections, duration)
    return asyncio.run(_client_load(url, connections, duration))


def worker_counts(value: str) -> list[int]:
    """argparse type: comma-separated worker counts, each at least 1 ("1,2")."""
    try:
        counts = [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated integers: {value!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"worker counts must be at least 1: {value!r}")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "stance.joblib")
    ap.add_argument("--duration", type=positive_int, default=8, help="seconds per measurement (default 8)")
    ap.add_argument("--rounds", type=positive_int, default=3,
                    help="alternating rounds over all servers; the table gives medians (default 3)")
    ap.add_argument("--workers", type=worker_counts, default="1,2",
                    help="comma-separated worker counts to measure for stance serve (default 1,2)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "serve.md")
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        require(ap, {"httpx": "apt install wrk, or pip install -e '.[serve-bench]' for a slower client"})
    check_out(ap, args.out)
    check_model(ap, args.model)
    stance_exe = Path(sys.executable).parent / "stance"
    servers = [("echo route (ceiling)", [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "benchmarks"),
                                          "echo_app:app", "--log-level", "warning", "--no-access-log"], "--port")]
    for w in args.workers:
        servers.append((f"stance serve, {w} worker{'s' if w > 1 else ''}",
                        [str(stance_exe), "serve", "--model", str(args.model), "--workers", str(w)], "--port"))
    tool = "wrk" if shutil.which("wrk") else "httpx asyncio client"
    runs: dict[tuple[str, int], list[dict]] = {}
    for round_ in range(1, args.rounds + 1):
        echo: dict[int, float] = {}
        for name, cmd, port_flag in servers:
            port = free_port()
            proc = start([*cmd, port_flag, str(port)], port)
            try:
                for conns in (1, 8):
                    r = load(f"http://127.0.0.1:{port}/v1/predict", conns, args.duration)
                    if name.startswith("echo"):
                        echo[conns] = r["rps"]
                    r["share"] = r["rps"] / echo[conns]  # of the echo route's rate in the same round
                    runs.setdefault((name, conns), []).append(r)
                    print(f"round {round_}: {name:<24} c={conns}: {r['rps']:>8.0f} req/s ({100 * r['share']:.0f}% of echo)"
                          f"  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  errors {r['errors']}", file=sys.stderr)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    lines = [f"Serving benchmark, {dt.date.today().isoformat()}, {os.cpu_count()} cores, load by {tool}, "
             f"{args.duration} s per run, single-statement POST /v1/predict; median of {args.rounds} alternating "
             f"round{'s' if args.rounds > 1 else ''} (each round runs every server once; \"% of echo\" compares "
             f"with the echo route in the same round; the range is the lowest and highest round).", "",
             "| server | connections | requests/s | % of echo (range) | p50 ms | p99 ms (range) | non-200 |",
             "|---|---|---|---|---|---|---|"]
    for (name, conns), rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("rps", "share", "p50", "p99")}
        share = f"{100 * med['share']:.0f}%" + ("" if name.startswith("echo") else
                                                 f" ({100 * min(r['share'] for r in rs):.0f}\u2013"
                                                 f"{100 * max(r['share'] for r in rs):.0f}%)")
        p99 = f"{med['p99']:.2f} ({min(r['p99'] for r in rs):.2f}\u2013{max(r['p99'] for r in rs):.2f})"
        lines.append(f"| {name} | {conns} | {med['rps']:,.0f} | {share} | {med['p50']:.2f} | {p99} "
                     f"| {sum(r['errors'] for r in rs)} |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
