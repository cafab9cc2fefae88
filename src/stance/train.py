"""Training: grouped cross-validated search on the train split, then a fit, a card and test scores."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed
from sklearn.model_selection import GroupKFold, ParameterGrid
from tqdm.auto import tqdm

import stance
from stance.errors import DataError
from stance.evaluate import evaluate
from stance.labels import LABELS
from stance.model import DEFAULT_PARAMS, SEARCH_SPACE, build_pipeline

__all__ = ["cross_validate", "fit", "train"]

MODEL_NAME = "stance-tfidf-cues-logreg"


def _strip_unpicklable_state(pipeline: Any) -> Any:
    """Drop state that differs between Python processes from fitted vectorizers, so the same
    data and seed give a byte-identical model file: ``stop_words_`` (an informative set whose
    order follows the hash seed) and the stop-word consistency cache (an ``id()``, i.e. a memory
    address; scikit-learn recomputes it on the next use)."""
    for _, piece in pipeline.named_steps["features"].transformer_list:
        for attr in ("stop_words_", "_stop_words_id"):
            if hasattr(piece, attr):
                delattr(piece, attr)
    return pipeline


def fit(frame: pd.DataFrame, **params: Any) -> Any:
    """Fit the stance pipeline with ``params`` on a frame with ``text`` and ``label``."""
    pipeline = build_pipeline(**{**DEFAULT_PARAMS, **params})
    try:
        pipeline.fit(frame["text"].tolist(), frame["label"].tolist())
    except ValueError as exc:  # a corpus so small that no word n-gram is in min_df sentences
        if "no terms remain" not in str(exc) and "empty vocabulary" not in str(exc):
            raise
        raise DataError(f"cannot fit the model on these {len(frame)} sentences: {exc}") from exc
    return _strip_unpicklable_state(pipeline)


def _fold_score(frame: pd.DataFrame, params: dict[str, Any], tr: np.ndarray, te: np.ndarray) -> float:
    return evaluate(fit(frame.iloc[tr], **params), frame.iloc[te]).macro_f1


def cross_validate(frame: pd.DataFrame, space: dict[str, list[Any]] | None = None, *, folds: int = 5,
                   progress: bool | None = None, n_jobs: int = 2) -> list[dict[str, Any]]:
    """Macro-F1 of every point of ``space`` by cross-validation grouped by report (``doc_id``).

    Returns one entry per point, ``{"params", "mean", "std", "folds"}``, best first.
    Fits run in ``n_jobs`` processes; ``progress=None`` shows a bar only on a terminal.
    """
    space = SEARCH_SPACE if space is None else space
    grid = list(ParameterGrid(space))
    n_groups = frame["doc_id"].nunique()
    if n_groups < 2:
        raise DataError(f"the search needs at least 2 reports in the train split, not {n_groups}; "
                        "train with --no-search")
    if folds < 2:
        raise DataError(f"the search needs at least 2 folds, not {folds}")
    folds = min(folds, n_groups)
    splits = list(GroupKFold(n_splits=folds).split(frame, groups=frame["doc_id"]))
    jobs = [(p, f) for p in range(len(grid)) for f in range(len(splits))]
    scores = np.zeros((len(grid), len(splits)))
    bar = tqdm(total=len(jobs), desc="grouped CV", unit="fit", disable=None if progress is None else not progress)
    runner = Parallel(n_jobs=n_jobs, return_as="generator")
    with bar:
        for (p, f), value in zip(jobs, runner(delayed(_fold_score)(frame, grid[p], *splits[f]) for p, f in jobs)):
            scores[p, f] = value
            bar.update(1)
    results = [{"params": params, "mean": float(scores[i].mean()), "std": float(scores[i].std()),
                "folds": [round(float(v), 4) for v in scores[i]]} for i, params in enumerate(grid)]
    # best first; ties go to the earlier (simpler) grid point
    order = sorted(range(len(results)), key=lambda i: (-round(results[i]["mean"], 6), i))
    return [results[i] for i in order]


def train(corpus: pd.DataFrame, *, seed: int = 0, search: bool = True, folds: int = 5,
          space: dict[str, list[Any]] | None = None, data_path: str | Path | None = None,
          data_sha256: str | None = None, split_sha256: str | None = None, progress: bool | None = None,
          on_stage: Callable[[str], None] | None = None) -> tuple[Any, dict[str, Any]]:
    """Train on the corpus's train split and score on its test split.

    Returns ``(pipeline, card)``; the card records versions, the hashes of the data and of its
    split file (``None`` when there is none), the search and the scores. Every step is
    deterministic (grouped folds in report order, lbfgs), so the same data give the same model
    file; ``seed`` is recorded in the card for runs that add randomness.
    """
    train_frame = corpus[corpus["split"] == "train"].reset_index(drop=True)
    test_frame = corpus[corpus["split"] == "test"].reset_index(drop=True)
    if train_frame["label"].nunique() < len(LABELS):
        missing = sorted(set(LABELS) - set(train_frame["label"]))
        raise DataError(f"the train split holds no {missing} sentence; every label {list(LABELS)} is needed",
                        file=data_path)
    cv: list[dict[str, Any]] = []
    params = dict(DEFAULT_PARAMS)
    if search:
        if on_stage:
            on_stage("grouped cross-validation on the train split")
        cv = cross_validate(train_frame, space, folds=folds, progress=progress)
        params.update(cv[0]["params"])
    if on_stage:
        on_stage("fitting the final model")
    pipeline = fit(train_frame, **params)
    test_report = evaluate(pipeline, test_frame).to_dict() if len(test_frame) else None
    _strip_unpicklable_state(pipeline)  # predicting re-creates the id() cache; drop it again
    card = {
        "name": MODEL_NAME,
        "version": stance.__version__,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"stance": stance.__version__, "scikit-learn": sklearn.__version__,
                     "python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__},
        "labels": list(LABELS),
        "seed": seed,
        "data": {"path": str(data_path) if data_path else None, "sha256": data_sha256,
                 "split_sha256": split_sha256,
                 "n_train": len(train_frame), "n_test": len(test_frame),
                 "n_reports_train": int(train_frame["doc_id"].nunique()),
                 "n_reports_test": int(test_frame["doc_id"].nunique()) if len(test_frame) else 0,
                 "label_counts_train": {lab: int((train_frame["label"] == lab).sum()) for lab in LABELS}},
        "hyperparameters": params,
        "search": {"space": SEARCH_SPACE if space is None else space, "folds": len(cv[0]["folds"]) if cv else 0,
                   "results": cv} if search else None,
        "cv_macro_f1": cv[0]["mean"] if cv else None,
        "test_metrics": test_report,
    }
    return pipeline, card

