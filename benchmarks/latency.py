"""In-process prediction cost: one statement at a time and in batches, through scikit-learn's
``predict_proba`` and through the compiled path that `stance predict`, the Python API and the
HTTP API use.

    python benchmarks/latency.py [--model models/stance.joblib] [--n 1000]

Uses the first ``--n`` sentences of the corpus test split (and the seed report's sentences).
Prints milliseconds per statement and sentences per second; best of three runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import check_model, positive_int  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "stance.joblib")
    ap.add_argument("--n", type=positive_int, default=1000)
    args = ap.parse_args(argv)
    check_model(ap, args.model)
    from stance import load_model
    from stance.data import load_corpus
    from stance.text import split_sentences

    model = load_model(args.model)
    corpus = load_corpus(ROOT / "data" / "sentences.csv")
    sets = {"corpus test sentences": list(corpus[corpus.split == "test"].text[:args.n]),
            "seed report sentences": [s.text for s in split_sentences(
                (ROOT / "data" / "reports" / "seed-nk-arms-denial.txt").read_text(encoding="utf-8"))] * 20}
    pipe = model.pipeline
    model.predict(sets["corpus test sentences"][:50])  # warm caches and lazy tables
    print(f"{'texts':<24} {'path':<28} {'ms/statement':>12} {'sentences/s':>12}")
    for name, texts in sets.items():
        rows = [("predict_proba, one by one", lambda: [pipe.predict_proba([t]) for t in texts]),
                ("compiled, one by one", lambda: [model.predict([t]) for t in texts]),
                ("predict_proba, one batch", lambda: pipe.predict_proba(texts)),
                ("compiled, one batch", lambda: model.predict(texts))]
        for path, fn in rows:
            sec = best_of(fn)
            print(f"{name:<24} {path:<28} {1000 * sec / len(texts):>12.3f} {len(texts) / sec:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
