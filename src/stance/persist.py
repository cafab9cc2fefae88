"""Saving and loading a model: joblib file plus a JSON card, written atomically, verified on load."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import joblib
import sklearn

from stance.data import file_sha256
from stance.errors import ModelError

__all__ = ["DEFAULT_MODEL", "card_path", "default_model_path", "save", "load", "read_card"]

DEFAULT_MODEL = Path("models/stance.joblib")


def default_model_path() -> Path:
    """``$STANCE_MODEL`` if set, else ``models/stance.joblib``."""
    return Path(os.environ.get("STANCE_MODEL") or DEFAULT_MODEL)


def card_path(model_path: str | Path) -> Path:
    """The card that belongs to a model file: same name, ``.json``."""
    return Path(model_path).with_suffix(".json")


def _write_atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(pipeline: Any, card: dict[str, Any], path: str | Path = DEFAULT_MODEL) -> dict[str, Any]:
    """Save ``pipeline`` with joblib and its card (with the file's sha256) beside it.

    Both files are written to temporary names and renamed into place, so an interrupted save
    never leaves a half-written model; a card that does not match its model is refused on load.
    Returns the card as written.
    """
    path = Path(path)
    card = dict(card)

    def dump(tmp: str) -> None:
        joblib.dump(pipeline, tmp, compress=3)
        card["model_sha256"] = file_sha256(tmp)

    _write_atomic(path, dump)
    text = json.dumps(card, indent=2, sort_keys=False) + "\n"
    _write_atomic(card_path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return card


def read_card(path: str | Path = DEFAULT_MODEL) -> dict[str, Any]:
    """Read the card of a model file; a clear :class:`ModelError` if it is missing or unreadable."""
    cpath = card_path(path)
    if not cpath.exists():
        raise ModelError(f"model card {cpath} not found; a model without its card is refused "
                         f"(retrain with `stance train --model {path}`)")
    try:
        card = json.loads(cpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"model card {cpath} is not valid JSON: {exc}") from exc
    if not isinstance(card, dict) or "model_sha256" not in card:
        raise ModelError(f"model card {cpath} has no model_sha256")
    return card


def load(path: str | Path = DEFAULT_MODEL) -> tuple[Any, dict[str, Any]]:
    """Load ``(pipeline, card)`` after checking the file's sha256 and scikit-learn version.

    Nothing is unpickled unless the file matches its card.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file {path} not found; train one with `stance train --model {path}`")
    card = read_card(path)
    actual = file_sha256(path)
    if actual != card["model_sha256"]:
        raise ModelError(f"model file {path} does not match its card (sha256 {actual[:12]}… != "
                         f"{str(card['model_sha256'])[:12]}…); refusing to load it. Retrain with `stance train`.")
    trained_with = card.get("versions", {}).get("scikit-learn")
    if trained_with != sklearn.__version__:
        raise ModelError(f"model {path} was trained with scikit-learn {trained_with}, but "
                         f"{sklearn.__version__} is installed; retrain with `stance train --model {path}`")
    return joblib.load(path), card
