"""HTTP serving benchmark: `stance serve` against a bare echo route, on loopback.

    python benchmarks/serve.py [--model models/stance.joblib] [--duration 8] [--workers 1,2]

Starts each server on a free 127.0.0.1 port, waits for /health, then drives POST /v1/predict
with single-statement requests (the seed report's sentences in rotation) at 1 and 8 concurrent connections for a fixed duration, using
`wrk` (Debian package) when installed, else a bounded asyncio httpx client. Prints requests/s and
p50/p99 latency, and writes them to benchmarks/results/serve.md.
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
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import publish  # noqa: E402

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
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "stance.joblib")
    ap.add_argument("--duration", type=int, default=8, help="seconds per measurement (default 8)")
    ap.add_argument("--workers", default="1,2", help="worker counts to measure for stance serve (default 1,2)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "serve.md")
    args = ap.parse_args(argv)
    stance_exe = Path(sys.executable).parent / "stance"
    servers = [("echo route (ceiling)", [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "benchmarks"),
                                          "echo_app:app", "--log-level", "warning", "--no-access-log"], "--port")]
    for w in [int(x) for x in args.workers.split(",") if x]:
        servers.append((f"stance serve, {w} worker{'s' if w > 1 else ''}",
                        [str(stance_exe), "serve", "--model", str(args.model), "--workers", str(w)], "--port"))
    tool = "wrk" if shutil.which("wrk") else "httpx asyncio client"
    rows = []
    for name, cmd, port_flag in servers:
        port = free_port()
        proc = start([*cmd, port_flag, str(port)], port)
        try:
            for conns in (1, 8):
                r = load(f"http://127.0.0.1:{port}/v1/predict", conns, args.duration)
                rows.append({"server": name, "connections": conns, **r})
                print(f"{name:<28} c={conns}: {r['rps']:>8.0f} req/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms"
                      f"  errors {r['errors']}", file=sys.stderr)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    echo = {r["connections"]: r["rps"] for r in rows if r["server"].startswith("echo")}
    lines = [f"Serving benchmark, {dt.date.today().isoformat()}, {os.cpu_count()} cores, load by {tool}, "
             f"{args.duration} s per row, single-statement POST /v1/predict.", "",
             "| server | connections | requests/s | % of echo | p50 ms | p99 ms | non-200 |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['server']} | {r['connections']} | {r['rps']:,.0f} | {100 * r['rps'] / echo[r['connections']]:.0f}% "
                     f"| {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
