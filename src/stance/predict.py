"""Predictions: the :class:`StanceModel` wrapper and the result shapes every interface shares."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
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

    def __hash__(self) -> int:  # the dataclass's own hash would fail on the scores dict
        return hash((self.label, tuple(self.scores.items())))

    def to_dict(self) -> dict[str, Any]:
        """``{"label", "scores"}``, the shape of the CLI's JSONL and the HTTP API's predictions."""
        return {"label": self.label, "scores": dict(self.scores)}


@dataclass(frozen=True)
class SentencePrediction:
    """A prediction for one sentence of a longer text, with its character offsets."""

    start: int
    end: int
    text: str
    label: str
    scores: dict[str, float]

    def __hash__(self) -> int:  # the dataclass's own hash would fail on the scores dict
        return hash((self.start, self.end, self.text, self.label, tuple(self.scores.items())))

    def to_dict(self) -> dict[str, Any]:
        """The sentence with its offsets, label and scores, as the CLI and HTTP API write it."""
        return {"start": self.start, "end": self.end, "text": self.text, "label": self.label,
                "scores": dict(self.scores)}


@dataclass
class Analysis:
    """A whole report, sentence by sentence, with counts per label."""

    sentences: list[SentencePrediction]
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The sentences and a summary (counts, the denials and the accusations), as the HTTP
        API's ``/v1/analyze`` answers."""
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
    Each vocabulary term maps to one tuple ``(idf * w_0, idf * w_1, idf * w_2, idf ** 2)``: a
    term seen once adds exactly that to the three class scores and to the squared norm, so a
    text costs one dictionary lookup per term and four C-level ``sum`` calls; terms seen more
    than once (few) add their tf-scaled remainder. Plain Python beats NumPy's per-call
    overhead at these sizes. When the C extension is built, the same numbers go into its tables
    and the TF-IDF pieces are scored there (``native``: one function per piece, from a text to
    its sums); ``pieces`` holds what is left for Python.
    Pipelines of any other shape are not compiled (the pipeline itself is used).
    """

    def __init__(self, pipeline: Any, native: bool = True) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        scorer = _native_scorer() if native else None

        union = pipeline.named_steps["features"]
        clf = pipeline.named_steps["clf"]
        if not isinstance(clf, LogisticRegression) or clf.coef_.shape[0] != 3:
            raise TypeError("not a three-class multinomial logistic regression")
        weights = union.transformer_weights or {}
        coef = np.asarray(clf.coef_, dtype=np.float64)
        self.pieces: list[tuple] = []
        self.native: list[tuple] = []  # (sums, l2) of each piece scored by the C extension
        offset = 0
        for name, piece in union.transformer_list:
            if piece is None or (isinstance(piece, str) and piece == "drop"):
                continue
            w = float(weights.get(name, 1.0))
            if isinstance(piece, TfidfVectorizer):
                if piece.norm not in ("l2", None) or not piece.use_idf:
                    raise TypeError(f"unsupported vectorizer settings in {name}")
                terms = sorted(piece.vocabulary_, key=piece.vocabulary_.__getitem__)
                width = len(terms)
                idf = np.asarray(piece.idf_, dtype=np.float64)
                block = coef[:, offset:offset + width] * w * idf  # each term's weights, times its idf
                fast = table = None
                if scorer is not None:  # the four numbers per term, in the C extension's table
                    rows = np.ascontiguousarray(np.vstack([block, idf * idf]).T, dtype=np.float64)
                    try:
                        fast = scorer.build(terms, rows.tobytes())
                    except (TypeError, ValueError):  # e.g. terms that are not str: the Python sums
                        fast = None
                if fast is None:  # the same numbers in a dict, for the Python sums
                    table = dict(zip(terms, zip(*(row.tolist() for row in block), (idf * idf).tolist())))
                if fast is not None:
                    self.native.append((_native_sums(piece, scorer, fast), piece.norm == "l2"))
                else:
                    self.pieces.append(("tfidf", _analyzer(piece), table, piece.sublinear_tf, piece.binary,
                                        piece.norm == "l2"))
            elif hasattr(piece, "row") and hasattr(piece, "n_features_out_"):
                width = piece.n_features_out_
                self.pieces.append(("dense", piece.row, coef[:, offset:offset + width] * w))
            else:
                raise TypeError(f"no compiled form for {type(piece).__name__}")
            offset += width
        if offset != coef.shape[1]:
            raise TypeError("feature width does not match the classifier")
        self.intercept = [float(v) for v in clf.intercept_]
        self.scorer = scorer

    def decision(self, text: str) -> list[float]:
        """The classifier's decision function for one text, one value per class."""
        s0, s1, s2 = self.intercept
        for sums, l2 in self.native:
            a0, a1, a2, norm = sums(text)
            if norm:  # 0 when no term is in the vocabulary (every idf is positive)
                scale = 1.0 / math.sqrt(norm) if l2 else 1.0
                s0 += a0 * scale
                s1 += a1 * scale
                s2 += a2 * scale
        for piece in self.pieces:
            if piece[0] == "tfidf":
                _, analyzer, table, sublinear, binary, l2 = piece
                grams = analyzer(text)
                counts = Counter(grams)
                rows = list(filter(None, map(table.get, counts)))  # the terms in the vocabulary
                if not rows:
                    continue
                a0, a1, a2, norm = map(sum, zip(*rows))
                if not binary and len(counts) < len(grams):
                    for term, n in [(t, n) for t, n in counts.items() if n > 1]:
                        e = table.get(term)
                        if e is not None:
                            f = math.log(n) + 1.0 if sublinear else float(n)
                            a0 += (f - 1.0) * e[0]
                            a1 += (f - 1.0) * e[1]
                            a2 += (f - 1.0) * e[2]
                            norm += (f * f - 1.0) * e[3]
                scale = 1.0 / math.sqrt(norm) if l2 else 1.0
                s0 += a0 * scale
                s1 += a1 * scale
                s2 += a2 * scale
            else:
                _, row, block = piece
                d = block @ np.asarray(row(text), dtype=np.float64)
                s0 += float(d[0])
                s1 += float(d[1])
                s2 += float(d[2])
        return [s0, s1, s2]

    def proba(self, text: str) -> list[float]:
        """Class probabilities for one text (softmax of :meth:`decision`), in ``classes_`` order."""
        d = self.decision(text)
        top = max(d)
        e = [math.exp(v - top) for v in d]
        total = e[0] + e[1] + e[2]
        return [v / total for v in e]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.proba(t) for t in texts], dtype=np.float64).reshape(len(texts), 3)


def _native_scorer() -> Any:
    """The optional C extension ``stance._score`` (built at install when a C compiler is there),
    or ``None``: the pure-Python sums give the same numbers (tests check both)."""
    try:
        from stance import _score
    except ImportError:
        return None
    return _score


_WORD_PATTERN = r"(?u)\b\w\w+\b"  # scikit-learn's default token_pattern


def _native_sums(vectorizer: Any, scorer: Any, table: Any) -> Any:
    """A function from a text to the C extension's sums ``(a0, a1, a2, norm)`` for one TF-IDF
    piece. The word n-grams of scikit-learn's default tokenizer and the cue-tag n-grams of
    :func:`~stance.features.cue_sequence` are made in C, from the text, without building the
    n-grams as Python strings, and so are the names and numbers of
    :func:`~stance.features.mask_names`; any other analyzer's n-grams are made in Python and
    summed in C.
    Tests check all three against the pipeline's ``predict_proba``."""
    from stance.features import (cue_sequence, cue_sequence_no_vote, mask_names, scope_grams_function,
                                 strip_accents, tagger_entries)

    sublinear, binary = vectorizer.sublinear_tf, vectorizer.binary
    lo, hi = vectorizer.ngram_range
    if (vectorizer.analyzer == "word" and vectorizer.tokenizer is None and vectorizer.token_pattern == _WORD_PATTERN
            and vectorizer.stop_words is None and lo == 1 and isinstance(vectorizer.input, str)
            and vectorizer.input == "content"):
        preprocess, score_words = vectorizer.build_preprocessor(), scorer.score_words
        if preprocess is mask_names:  # its names and numbers replaced in C
            mask = scorer.mask

            def words_in_c(text: str) -> tuple[float, float, float, float]:
                low = mask(text).lower()
                return score_words(table, low if low.isascii() else strip_accents(low), hi, sublinear, binary)

            return words_in_c

        def words_in_c(text: str) -> tuple[float, float, float, float]:
            return score_words(table, preprocess(text), hi, sublinear, binary)

        return words_in_c
    if vectorizer.analyzer is cue_sequence or vectorizer.analyzer is cue_sequence_no_vote:
        tagger, score_cues = scorer.tagger(*tagger_entries()), scorer.score_cues
        scope_grams = scope_grams_function(vote=vectorizer.analyzer is cue_sequence)

        def cue_tags_in_c(text: str) -> tuple[float, float, float, float]:
            return score_cues(table, tagger, text, scope_grams(text), sublinear, binary)

        return cue_tags_in_c
    analyzer = _analyzer(vectorizer)

    def grams_in_python(text: str) -> tuple[float, float, float, float]:
        return scorer.score(table, list(analyzer(text)), sublinear, binary)

    return grams_in_python


def _analyzer(vectorizer: Any) -> Any:
    """The vectorizer's analyzer; for plain word n-grams, an equivalent one that joins the
    n-grams with ``map`` (scikit-learn's loop costs more than the rest of the text's features).
    Built from the vectorizer's public ``build_preprocessor`` and ``build_tokenizer``."""
    lo, hi = vectorizer.ngram_range
    if (vectorizer.analyzer != "word" or vectorizer.stop_words is not None or lo != 1
            or not isinstance(vectorizer.input, str) or vectorizer.input != "content"):
        return vectorizer.build_analyzer()
    decode, preprocess, tokenize = vectorizer.decode, vectorizer.build_preprocessor(), vectorizer.build_tokenizer()

    def analyze(text: str) -> list[str]:
        tokens = tokenize(preprocess(decode(text)))
        grams = list(tokens)
        for n in range(2, hi + 1):
            grams += map(" ".join, zip(*(tokens[i:] for i in range(n))))
        return grams

    return analyze


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

    def rows(self, texts: Sequence[str]) -> list[list[float]]:
        """:meth:`predict_proba` as Python lists of floats, one per text (a list per text, and no
        array, is what single statements cost least to get)."""
        if self._compiled is None:
            return self.predict_proba(texts).tolist()
        (c0, c1, c2), proba = self._columns, self._compiled.proba
        return [[p[c0], p[c1], p[c2]] for p in map(proba, _check_texts(texts))]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One :class:`Prediction` per text, in input order. ``texts`` is any ordered iterable of
        ``str`` (a list, tuple, NumPy array, pandas Series, generator); a ``str``, ``bytes``, dict,
        set or non-``str`` item is a ``TypeError``. An empty or blank text is classified like any
        other (it gets the model's prior, mostly ``neutral``); the CLI and the HTTP API refuse it."""
        return [_prediction(row) for row in self.rows(texts)]

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
    if isinstance(texts, (bytes, bytearray, Mapping, AbstractSet)):
        raise TypeError(f"predict() takes a list of strings, not a {type(texts).__name__}"
                        + (" (a set has no order to match the predictions to)" if isinstance(texts, AbstractSet) else ""))
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, not str")
    return texts


def _prediction(row: Sequence[float]) -> Prediction:
    """The label with the highest probability (the first, on a tie, as ``argmax``) and all scores."""
    scores = {lab: float(v) for lab, v in zip(LABELS, row)}
    return Prediction(max(scores, key=scores.__getitem__), scores)
