"""The benchmark scripts explain themselves and refuse bad arguments before any long work,
with only the dev extra installed (their heavy peers live in the bench extras)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = ["quality", "finetune", "parse", "latency", "serve", "http_impl"]


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH / f"{script}.py"), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_works_without_the_bench_extras(script: str) -> None:
    done = run(script, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout and "--" in done.stdout


@pytest.mark.parametrize("script", ["quality", "finetune", "parse"])
def test_an_unwritable_out_is_refused_before_any_work(script: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run(script, "--out", str(blocker / "result.md"))
    assert done.returncode == 2
    assert f"--out {blocker / 'result.md'}" in done.stderr
    assert "…" not in done.stderr  # no progress line: nothing was started


@pytest.mark.parametrize("script, args, message", [
    ("serve", ["--workers", "1,x"], "not comma-separated integers"),
    ("serve", ["--rounds", "0"], "must be at least 1"),
    ("latency", ["--n", "-3"], "must be at least 1"),
    ("quality", ["--skip", "fastext"], "unknown system(s) fastext"),
])
def test_bad_arguments_are_usage_errors(script: str, args: list[str], message: str) -> None:
    done = run(script, *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_missing_model_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    done = run("latency", "--model", str(tmp_path / "none.joblib"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]  # argparse prints the usage line, then the error
    assert last.startswith("latency.py: error: model file") and "none.joblib" in last
