"""Evaluation: macro-F1, accuracy, per-label scores and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from stance.labels import LABELS

__all__ = ["Report", "evaluate", "score"]


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
        out = {"macro_f1": self.macro_f1, "accuracy": self.accuracy, "per_label": self.per_label,
               "confusion_matrix": self.confusion_matrix, "labels": self.labels, "n": self.n}
        out.update(self.extra)
        return out

    def to_text(self) -> str:
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
    """Score predicted labels against gold labels over :data:`LABELS`."""
    labels = list(LABELS)
    p, r, f, s = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_label = {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                 for i, lab in enumerate(labels)}
    cm = confusion_matrix(gold, predicted, labels=labels)
    return Report(
        macro_f1=float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        accuracy=float(accuracy_score(gold, predicted)) if len(gold) else 0.0,
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
