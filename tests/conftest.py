"""Shared fixtures: a tiny hand-made corpus and a small model trained on it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "realworld" / "dev.csv"

TINY = [
    ("d1", "The ministry denied the report and called it baseless.", "denial"),
    ("d1", "Officials rejected the allegations as a fabrication.", "denial"),
    ("d1", "We have never sold weapons to anyone, the spokesman said.", "denial"),
    ("d1", "The talks took place in Geneva on Monday.", "neutral"),
    ("d2", "The government dismissed the claims as fake news.", "denial"),
    ("d2", "Police accused the driver of fleeing the scene.", "accusation"),
    ("d2", "Prosecutors charged the manager with fraud.", "accusation"),
    ("d2", "The weather was cold and wet.", "neutral"),
    ("d3", "Activists blamed the army for the killings.", "accusation"),
    ("d3", "The minister condemned the attack by the rebels.", "accusation"),
    ("d3", "The company said it would publish results next week.", "neutral"),
    ("d3", "The story is nothing more than a hoax.", "denial"),
    ("d4", "Witnesses said soldiers had beaten the protesters.", "accusation"),
    ("d4", "The meeting ended without a statement.", "neutral"),
    ("d4", "The club denied any wrongdoing.", "denial"),
    ("d4", "The regulator alleged that the bank hid its losses.", "accusation"),
    ("d5", "A new bridge opened to traffic on Friday.", "neutral"),
    ("d5", "The envoy accused Moscow of lying about the convoy.", "accusation"),
    ("d5", "The group refuted the charges entirely.", "denial"),
    ("d5", "Schools will reopen after the holiday.", "neutral"),
]


@pytest.fixture(scope="session")
def tiny_frame() -> pd.DataFrame:
    frame = pd.DataFrame(TINY, columns=["doc_id", "text", "label"])
    frame["split"] = ["test" if d == "d5" else "train" for d in frame["doc_id"]]
    return frame


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory, tiny_frame) -> Path:
    """A model trained (no search) on the tiny corpus, saved with its card."""
    from stance import persist
    from stance.train import train

    pipeline, card = train(tiny_frame, search=False, progress=False)
    path = tmp_path_factory.mktemp("model") / "tiny.joblib"
    persist.save(pipeline, card, path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path):
    from stance import load_model

    return load_model(tiny_model_path)


@pytest.fixture(scope="session")
def corpus_model_path(tmp_path_factory) -> Path:
    """The default pipeline trained (no search, default hyperparameters) on the corpus train split."""
    from stance import persist
    from stance.data import load_corpus
    from stance.train import train

    pipeline, card = train(load_corpus(ROOT / "data" / "sentences.csv"), search=False, progress=False)
    path = tmp_path_factory.mktemp("corpus-model") / "stance.joblib"
    persist.save(pipeline, card, path)
    return path
