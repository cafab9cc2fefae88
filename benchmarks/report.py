"""Shared by the benchmark scripts: check arguments before long work, print a result and write
it under benchmarks/results/."""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
from pathlib import Path


def positive_int(value: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return number


def check_out(ap: argparse.ArgumentParser, out: Path) -> None:
    """Refuse an ``--out`` path that cannot be written, before any long work (a usage error)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        ap.error(f"--out {out}: cannot make its folder ({exc.strerror or exc})")
    if out.is_dir() or (out.exists() and not os.access(out, os.W_OK)):
        ap.error(f"--out {out}: cannot write a file there")
    try:  # a real probe: os.access says yes for root on read-only or virtual file systems
        tempfile.TemporaryFile(dir=out.parent).close()
    except OSError as exc:
        ap.error(f"--out {out}: cannot write a file there ({exc.strerror or exc})")


def require(ap: argparse.ArgumentParser, modules: dict[str, str]) -> None:
    """Refuse to start when an optional module is missing: ``modules`` maps an import name to the
    install hint to print (``{"fasttext": "pip install -e '.[bench]'"}``)."""
    missing = {name: hint for name, hint in modules.items() if importlib.util.find_spec(name) is None}
    if missing:
        hints = sorted(set(missing.values()))
        ap.error(f"missing {', '.join(sorted(missing))}: install with {' or '.join(hints)}")


def check_model(ap: argparse.ArgumentParser, path: Path) -> None:
    """Refuse a model file that ``stance`` cannot load, before any long work."""
    from stance.errors import StanceError
    from stance.persist import load

    try:
        load(path)
    except StanceError as exc:
        ap.error(str(exc))


def publish(lines: list[str], out: Path) -> str:
    """Join ``lines`` into Markdown, print it, and write it to ``out`` (folders made as needed)."""
    text = "\n".join(lines) + "\n"
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return text
