"""Shared by the benchmark scripts: print a result and write it under benchmarks/results/."""

from __future__ import annotations

from pathlib import Path


def publish(lines: list[str], out: Path) -> str:
    """Join ``lines`` into Markdown, print it, and write it to ``out`` (folders made as needed)."""
    text = "\n".join(lines) + "\n"
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return text
