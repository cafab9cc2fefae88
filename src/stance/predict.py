"""Predictions: the :class:`StanceModel` wrapper and the result shapes every interface shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance import persist
from stance.errors import ModelError
from stance.labels import ACCUSATION, DENIAL, LABELS
from stance.text import split_sentences

__all__ = ["Prediction", "SentencePrediction", "Analysis", "StanceModel"]


@dataclass(frozen=True)
class Prediction:
    """A label and the probability of every label (in :data:`~stance.labels.LABELS` order)."""

    label: str
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": dict(self.scores)}


@dataclass(frozen=True)
class SentencePrediction:
    """A prediction for one sentence of a longer text, with its character offsets."""

    start: int
    end: int
    text: str
    label: str
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "label": self.label,
                "scores": dict(self.scores)}


@dataclass
class Analysis:
    """A whole report, sentence by sentence, with counts per label."""

    sentences: list[SentencePrediction]
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": [s.to_dict() for s in self.sentences],
            "summary": {
                "counts": dict(self.counts),
                "denials": [s.to_dict() for s in self.sentences if s.label == DENIAL],
                "accusations": [s.to_dict() for s in self.sentences if s.label == ACCUSATION],
            },
        }


class StanceModel:
    """A fitted pipeline and its card. Build with :meth:`load` or from a fitted pipeline."""

    def __init__(self, pipeline: Any, card: dict[str, Any] | None = None) -> None:
        classes = [str(c) for c in getattr(pipeline, "classes_", [])]
        if sorted(classes) != sorted(LABELS):
            raise ModelError(f"model classes {classes} are not the stance labels {list(LABELS)}")
        self.pipeline = pipeline
        self.card = dict(card or {})
        # column of predict_proba for each label, in LABELS order
        self._columns = [classes.index(lab) for lab in LABELS]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "StanceModel":
        """Load and verify a saved model (default ``$STANCE_MODEL`` or ``models/stance.joblib``)."""
        pipeline, card = persist.load(path if path is not None else persist.default_model_path())
        return cls(pipeline, card)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in :data:`LABELS` order."""
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        return self.pipeline.predict_proba(texts)[:, self._columns]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One :class:`Prediction` per text, in input order."""
        return [_prediction(row) for row in self.predict_proba(texts)]

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        """Only the labels."""
        return [p.label for p in self.predict(texts)]

    def analyze(self, text: str) -> Analysis:
        """Split a report into sentences and classify each, keeping character offsets."""
        if not isinstance(text, str):
            raise TypeError("analyze() takes one string, the whole report")
        sents = split_sentences(text)
        probs = self.predict_proba([s.text for s in sents])
        out = []
        for s, row in zip(sents, probs):
            p = _prediction(row)
            out.append(SentencePrediction(s.start, s.end, s.text, p.label, p.scores))
        counts = {lab: sum(1 for s in out if s.label == lab) for lab in LABELS}
        return Analysis(out, counts)

    @property
    def info(self) -> dict[str, Any]:
        """Name, version and sha256 of the model, as the HTTP API reports them."""
        return {"name": self.card.get("name", "stance"), "version": self.card.get("version", ""),
                "sha256": self.card.get("model_sha256", "")}


def _check_texts(texts: Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("predict() takes a list of strings; wrap a single statement in a list")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, not str")
    return texts


def _prediction(row: np.ndarray) -> Prediction:
    scores = {lab: float(v) for lab, v in zip(LABELS, row)}
    return Prediction(LABELS[int(np.argmax(row))], scores)
