"""Evaluation: macro-F1, accuracy, per-label scores and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from stance.labels import LABELS

__all__ = ["Report", "error_cause", "error_table", "evaluate", "learning_curve", "score", "top_features"]


@dataclass
class Report:
    """Metrics of predictions against gold labels; rows of the confusion matrix are gold labels."""

    macro_f1: float
    accuracy: float
    per_label: dict[str, dict[str, float]]
    confusion_matrix: list[list[int]]
    labels: list[str]
    n: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The metrics as plain JSON-ready values (what ``stance evaluate --format json`` prints)."""
        out = {"macro_f1": self.macro_f1, "accuracy": self.accuracy, "per_label": self.per_label,
               "confusion_matrix": self.confusion_matrix, "labels": self.labels, "n": self.n}
        out.update(self.extra)
        return out

    def to_text(self) -> str:
        """The metrics as a plain-text table (what ``stance evaluate`` prints)."""
        lines = [f"n={self.n}  macro-F1={self.macro_f1:.3f}  accuracy={self.accuracy:.3f}", "",
                 f"{'label':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
        for lab in self.labels:
            s = self.per_label[lab]
            lines.append(f"{lab:<12}{s['precision']:>10.3f}{s['recall']:>10.3f}{s['f1']:>10.3f}{int(s['support']):>10d}")
        lines += ["", "confusion matrix (rows = gold, columns = predicted)",
                  " " * 12 + "".join(f"{lab:>12}" for lab in self.labels)]
        for lab, row in zip(self.labels, self.confusion_matrix):
            lines.append(f"{lab:<12}" + "".join(f"{v:>12d}" for v in row))
        return "\n".join(lines)


def score(gold: Sequence[str], predicted: Sequence[str]) -> Report:
    """Score predicted labels against gold labels over :data:`LABELS`.

    Macro-F1 averages over all three labels, so a label absent from both lists counts as an F1
    of 0 (the number is comparable across sets). A label outside :data:`LABELS`, lists of
    different lengths, or no labels at all are a ``ValueError``."""
    gold, predicted = list(gold), list(predicted)
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise ValueError("no labels to score")
    unknown = sorted({str(v) for v in (*gold, *predicted)} - set(LABELS))
    if unknown:
        raise ValueError(f"unknown label(s) {unknown}; expected {list(LABELS)}")
    labels = list(LABELS)
    p, r, f, s = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_label = {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                 for i, lab in enumerate(labels)}
    cm = confusion_matrix(gold, predicted, labels=labels)
    return Report(
        macro_f1=float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        accuracy=float(accuracy_score(gold, predicted)),
        per_label=per_label,
        confusion_matrix=np.asarray(cm).astype(int).tolist(),
        labels=labels,
        n=len(gold),
    )


def evaluate(model: Any, frame: Any) -> Report:
    """Evaluate a :class:`~stance.predict.StanceModel` or a fitted pipeline on a frame with
    ``text`` and ``label`` columns."""
    texts = [str(t) for t in frame["text"]]
    if hasattr(model, "predict_labels"):
        predicted = model.predict_labels(texts)
    else:
        predicted = [str(p) for p in model.predict(texts)]
    return score(list(frame["label"]), predicted)


def top_features(pipeline: Any, n: int = 15) -> dict[str, list[tuple[str, float]]]:
    """The ``n`` features with the largest weight for each label (a check for leakage).

    Names carry their piece as a prefix (``words__``, ``tags__``, ``counts__``).
    """
    names = pipeline.named_steps["features"].get_feature_names_out()
    clf = pipeline.named_steps["clf"]
    out = {}
    for i, lab in enumerate(clf.classes_):
        order = np.argsort(clf.coef_[i])[::-1][:n]
        out[str(lab)] = [(str(names[j]), float(clf.coef_[i][j])) for j in order]
    return {lab: out[lab] for lab in LABELS if lab in out}


def error_cause(text: str, gold: str, predicted: str) -> str:
    """A coarse guess at why a sentence was misclassified, from the cues it holds.

    Used to group errors for analysis; it reads only the sentence, never the model.
    """
    from stance.features import cue_tag, tokenize

    groups = {g for tok in tokenize(text) for g in cue_tag(tok)}
    deny, accuse, wrong, neg, hedge = ("DENY" in groups, "ACCUSE" in groups, "WRONG" in groups,
                                       "NEG" in groups, "HEDGE" in groups)
    if {gold, predicted} == {"denial", "accusation"}:
        return "denial and accusation in one sentence"
    if gold == "neutral" and predicted == "accusation":
        if accuse:
            return "accusation word that blames no one (mention, other sense, hypothetical)"
        return "violence or crime narrated without blame" if wrong else "no cue (style or topic words)"
    if gold == "neutral" and predicted == "denial":
        if deny:
            return "denial verb in another sense (rejected an offer, dismissed from a job)"
        return "negation or 'never' that rebuts nothing" if neg else "falsity or rumour word that is not the point"
    if gold == "denial":
        if deny:
            return "denial verb missed"
        return "denial without a denial verb (negation, 'never')" if neg else \
            "denial by evidence, falsity word or innocent explanation"
    if gold == "accusation":
        if hedge or accuse:
            return "sourced, hedged or explicit accusation missed"
        return "wrongdoing attached to a party" if wrong else "insinuation, irony or context"
    return "other"


def error_table(frame: Any, predictions: Sequence[Any]) -> Any:
    """Misclassified rows with gold, predicted label, probabilities and the kind of error
    (``"gold→predicted"``), most confident mistakes first."""
    import pandas as pd

    rows = []
    for text, gold, p in zip(frame["text"], frame["label"], predictions):
        if p.label != gold:
            rows.append({"kind": f"{gold}→{p.label}", "cause": error_cause(text, gold, p.label), "text": text,
                         "gold": gold, "predicted": p.label,
                         **{f"p_{lab}": round(p.scores[lab], 3) for lab in LABELS},
                         "confidence": round(p.scores[p.label], 3)})
    out = pd.DataFrame(rows, columns=["kind", "cause", "text", "gold", "predicted", *(f"p_{lab}" for lab in LABELS),
                                      "confidence"])
    return out.sort_values(["kind", "confidence"], ascending=[True, False]).reset_index(drop=True)


def learning_curve(corpus: Any, fractions: Sequence[float] = (0.125, 0.25, 0.5, 1.0), *,
                   eval_sets: dict[str, Any] | None = None, seed: int = 0,
                   params: dict[str, Any] | None = None) -> Any:
    """Macro-F1 against training-set size: train on growing random subsets of the train split's
    reports (whole reports, nested) and score on the test split and any ``eval_sets``."""
    import pandas as pd

    from stance.train import fit

    train_frame = corpus[corpus["split"] == "train"]
    sets = {"test": corpus[corpus["split"] == "test"], **(eval_sets or {})}
    docs = sorted(train_frame["doc_id"].unique())
    rng = np.random.default_rng(seed)
    rng.shuffle(docs)
    rows = []
    for frac in fractions:
        keep = set(docs[: max(2, round(frac * len(docs)))])
        sub = train_frame[train_frame["doc_id"].isin(keep)]
        if sub["label"].nunique() < len(LABELS):
            continue
        pipe = fit(sub, **(params or {}))
        row = {"fraction": frac, "reports": len(keep), "sentences": len(sub)}
        for name, frame in sets.items():
            row[name] = evaluate(pipe, frame).macro_f1
        rows.append(row)
    return pd.DataFrame(rows)
