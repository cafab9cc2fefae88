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


class _Compiled:
    """Per-text inference that equals ``pipeline.predict_proba`` (tests check it to 1e-12) without
    scikit-learn's per-call overhead, which dominates single-statement latency.

    It reads only public fitted attributes: each TF-IDF piece's analyzer, ``vocabulary_`` and
    ``idf_``, each dense piece's ``row()``, and the classifier's ``coef_`` and ``intercept_``.
    Pipelines of any other shape are not compiled (the pipeline itself is used).
    """

    def __init__(self, pipeline: Any) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        union = pipeline.named_steps["features"]
        clf = pipeline.named_steps["clf"]
        if not isinstance(clf, LogisticRegression) or clf.coef_.shape[0] < 3:
            raise TypeError("not a multinomial logistic regression")
        weights = union.transformer_weights or {}
        self.pieces: list[tuple] = []
        offset = 0
        for name, piece in union.transformer_list:
            if piece is None or (isinstance(piece, str) and piece == "drop"):
                continue
            w = float(weights.get(name, 1.0))
            if isinstance(piece, TfidfVectorizer):
                if piece.norm not in ("l2", None) or not piece.use_idf:
                    raise TypeError(f"unsupported vectorizer settings in {name}")
                width = len(piece.vocabulary_)
                self.pieces.append(("tfidf", piece.build_analyzer(), piece.vocabulary_, piece.idf_,
                                    piece.sublinear_tf, piece.binary, piece.norm, offset, w))
            elif hasattr(piece, "row") and hasattr(piece, "n_features_out_"):
                width = piece.n_features_out_
                self.pieces.append(("dense", piece.row, offset, width, w))
            else:
                raise TypeError(f"no compiled form for {type(piece).__name__}")
            offset += width
        if offset != clf.coef_.shape[1]:
            raise TypeError("feature width does not match the classifier")
        self.coef = np.ascontiguousarray(clf.coef_)
        self.intercept = clf.intercept_

    def decision(self, text: str) -> np.ndarray:
        scores = self.intercept.copy()
        for piece in self.pieces:
            if piece[0] == "tfidf":
                _, analyzer, vocab, idf, sublinear, binary, norm, offset, w = piece
                counts: dict[int, int] = {}
                for term in analyzer(text):
                    j = vocab.get(term)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                if not counts:
                    continue
                idx = np.fromiter(counts, dtype=np.intp, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                if binary:
                    tf[:] = 1.0
                elif sublinear:
                    tf = np.log(tf) + 1.0
                vals = tf * idf[idx]
                if norm == "l2":
                    vals /= np.sqrt(np.dot(vals, vals))
                scores += self.coef[:, offset + idx] @ (vals * w)
            else:
                _, row, offset, width, w = piece
                scores += self.coef[:, offset:offset + width] @ (np.asarray(row(text), dtype=np.float64) * w)
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        dec = np.array([self.decision(t) for t in texts])
        dec -= dec.max(axis=1, keepdims=True)
        np.exp(dec, out=dec)
        dec /= dec.sum(axis=1, keepdims=True)
        return dec


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
        try:
            self._compiled: _Compiled | None = _Compiled(pipeline)
        except (TypeError, KeyError, AttributeError):
            self._compiled = None

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
        runner = self._compiled if self._compiled is not None else self.pipeline
        return runner.predict_proba(texts)[:, self._columns]

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
