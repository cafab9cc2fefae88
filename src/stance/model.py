"""The scikit-learn pipeline and its hyperparameter search space."""

from __future__ import annotations

from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from stance.features import CueCounts, cue_sequence, cue_sequence_no_vote, mask_names

__all__ = ["DEFAULT_PARAMS", "SEARCH_SPACE", "build_pipeline"]

# The point of SEARCH_SPACE that grouped CV chose on the current corpus (see models/stance.json);
# used by `stance train --no-search` and as the base the search varies.
DEFAULT_PARAMS: dict[str, Any] = {
    "C": 3.0,
    "word_ngram_max": 2,
    "char": False,
    "tags": True,
    "counts": False,  # the dense cue counts did not earn their place in the ablation (benchmarks/quality.py)
    "class_weight": None,
    "names": False,  # masking names in the word n-grams: +0.02 dev macro-F1 in the ablation
    "vote": True,
    # word n-grams seen in fewer than 3 training sentences (mostly names and topic words) are
    # dropped: the same test and dev macro-F1 (within 0.01) with 5.7x fewer terms, and 3x faster
    # training (benchmarks/quality.py ablation)
    "min_df": 3,
}

# Grouped cross-validation on the train split picks one point of this grid.
SEARCH_SPACE: dict[str, list[Any]] = {
    "C": [1.0, 3.0],
    "class_weight": [None, "balanced"],
}


def build_pipeline(C: float = 3.0, word_ngram_max: int = 2, char: bool = False, tags: bool = True,
                   counts: bool = False, class_weight: str | dict | None = None,
                   names: bool = False, vote: bool = True, min_df: int = 3, max_iter: int = 3000) -> Pipeline:
    """The stance pipeline: a union of feature pieces and a logistic regression.

    ``tags`` adds n-grams over cue-tag sequences, ``counts`` the dense cue counts, ``char``
    character n-grams (2-5, within word boundaries). Word n-grams are always used; ``names``
    keeps the names in them, which are otherwise masked (:func:`~stance.features.mask_names`);
    ``vote`` adds the keyword rule's vote to the tag piece (:func:`~stance.features.lexicon_vote`);
    ``min_df`` is the number of training sentences a word n-gram must appear in to be kept.
    """
    pieces: list[tuple[str, Any]] = [
        ("words", TfidfVectorizer(ngram_range=(1, word_ngram_max), sublinear_tf=True, min_df=min_df,
                                  lowercase=True, strip_accents="unicode") if names else
         TfidfVectorizer(ngram_range=(1, word_ngram_max), sublinear_tf=True, min_df=min_df,
                         preprocessor=mask_names)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
         if char else "drop"),
        ("tags", TfidfVectorizer(analyzer=cue_sequence if vote else cue_sequence_no_vote, sublinear_tf=True,
                                 lowercase=False) if tags else "drop"),
        ("counts", CueCounts() if counts else "drop"),
    ]
    return Pipeline([
        ("features", FeatureUnion(pieces)),
        ("clf", LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter)),
    ])
