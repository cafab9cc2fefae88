"""Execute the evaluation notebooks top to bottom (nbclient) and write the executed copies.

    python notebooks/run.py [--model models/stance.joblib] [--out notebooks/_build] [NOTEBOOK ...]

Figures go to OUT/figures. The notebooks read their paths from STANCE_MODEL, STANCE_DATA (the
corpus; notebook 02 reads the seed report from the reports/ beside it) and STANCE_FIG_DIR, which
this script sets, and STANCE_DEV (default ../shared/realworld/dev.csv), which it leaves as it
finds it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def execute(notebook: Path, out_dir: Path, timeout: int = 900) -> Path:
    """Run one notebook in a fresh kernel, with ``notebooks/`` as working directory; save it to ``out_dir``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / notebook.name
    nbformat.write(nb, dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    ap.add_argument("--model", type=Path, default=HERE.parent / "models" / "stance.joblib",
                    help="the model to evaluate (default models/stance.joblib; `make notebooks` trains it)")
    ap.add_argument("--data", type=Path, default=HERE.parent / "data" / "sentences.csv",
                    help="the corpus (default data/sentences.csv); notebook 02 reads the seed report from "
                         "the reports/ folder beside it")
    ap.add_argument("--out", type=Path, default=HERE / "_build",
                    help="where the executed notebooks go, and their figures under OUT/figures "
                         "(default notebooks/_build)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    args = ap.parse_args(argv)
    for name, path in (("--model", args.model), ("--data", args.data), *(("notebook", nb) for nb in args.notebooks)):
        if not path.is_file():
            ap.error(f"{name} {path}: file not found")
    os.environ["STANCE_MODEL"] = str(args.model.resolve())
    os.environ["STANCE_DATA"] = str(args.data.resolve())
    os.environ["STANCE_FIG_DIR"] = str((args.out / "figures").resolve())
    for nb in args.notebooks or sorted(HERE.glob("*.ipynb")):
        t0 = time.perf_counter()
        dest = execute(nb, args.out, args.timeout)
        print(f"{nb.name}: ok in {time.perf_counter() - t0:.0f} s -> {dest}", file=sys.stderr)
    print(f"figures in {os.environ['STANCE_FIG_DIR']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
