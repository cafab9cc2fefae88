"""Saving and loading a model: joblib file plus a JSON card, replaced together (a failed save keeps the
previous pair), verified on load."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import joblib
import sklearn

from stance.errors import ModelError
from stance.files import publish, temp_beside
from stance.labels import LABELS

__all__ = ["DEFAULT_MODEL", "card_path", "default_model_path", "save", "load", "read_card"]

DEFAULT_MODEL = Path("models/stance.joblib")


def default_model_path() -> Path:
    """``$STANCE_MODEL`` if set, else ``models/stance.joblib``."""
    return Path(os.environ.get("STANCE_MODEL") or DEFAULT_MODEL)


def card_path(model_path: str | Path) -> Path:
    """The card that belongs to a model file: same name, ``.json``."""
    return Path(model_path).with_suffix(".json")


def check_model_path(path: str | Path) -> None:
    """Refuse a model path whose name is taken by a card (``.json``); called before training."""
    if Path(path).suffix == ".json":
        raise ModelError(f"{path}: the model file cannot end in .json (that name is its card's)")


def _backup(path: Path) -> Path | None:
    """A second name for the file at ``path`` (a hard link, else a copy); None if there is none."""
    if not path.is_file():
        return None
    backup = temp_beside(path)
    try:
        backup.unlink()
        try:  # a symbolic link is kept as the link, not as the file it points to
            os.link(path, backup, follow_symlinks=False)
        except OSError:  # a file system without hard links
            shutil.copy2(path, backup, follow_symlinks=False)
    except BaseException:
        backup.unlink(missing_ok=True)
        raise
    return backup


def save(pipeline: Any, card: dict[str, Any], path: str | Path = DEFAULT_MODEL) -> dict[str, Any]:
    """Save ``pipeline`` with joblib and its card (with the file's sha256) beside it.

    Both files are written in full to temporary names, the current model is kept under a
    backup name, and the two are renamed into place, model first. Any failure or interrupt
    before the card's rename (a full disk, a card that does not serialise, Ctrl-C) restores
    the previous model, so the previous model and card are left as they were. Only a kill that
    Python cannot catch (SIGKILL, an unhandled SIGTERM, power loss; or a second Ctrl-C while
    restoring) between the two renames can leave the new model beside the old card, which
    :func:`load` refuses (retrain); two files cannot change at once without swapping a folder.
    Returns the card as written.
    """
    path = Path(path)
    check_model_path(path)
    cpath = card_path(path)
    card = dict(card)
    model_tmp = temp_beside(path)
    card_tmp: Path | None = None
    backup: Path | None = None
    try:
        joblib.dump(pipeline, model_tmp, compress=3)
        card["model_sha256"] = hashlib.sha256(model_tmp.read_bytes()).hexdigest()
        text = json.dumps(card, indent=2) + "\n"
        card_tmp = temp_beside(cpath)
        card_tmp.write_text(text, encoding="utf-8")
        backup = _backup(path)
        publish(model_tmp, path)
        publish(card_tmp, cpath)
    except BaseException as exc:
        # the renames themselves tell what happened: a temporary that is gone was renamed
        try:
            if card_tmp is not None and card_tmp.exists() and not model_tmp.exists():
                if backup is not None:
                    os.replace(backup, path)
                else:
                    path.unlink(missing_ok=True)
        finally:  # remove the temporaries even if putting the previous model back failed
            for leftover in (model_tmp, card_tmp, backup):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        leftover.unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a full disk, a read-only folder: one line, not a traceback
            raise ModelError(f"{path}: cannot save the model: {exc.strerror or exc}; the previous model "
                             f"and card (if any) are as they were") from exc
        raise
    if backup is not None:
        with contextlib.suppress(OSError):  # saved; a stray backup is no reason to report failure
            backup.unlink(missing_ok=True)
    return card


def read_card(path: str | Path = DEFAULT_MODEL) -> dict[str, Any]:
    """Read the card of a model file; a clear :class:`ModelError` if it is missing or unreadable,
    or lacks the fields :func:`load` checks (``model_sha256``, the scikit-learn version)."""
    cpath = card_path(path)
    retrain = f"retrain with `stance train --model {path}`"
    if cpath.exists() and not cpath.is_file():
        raise ModelError(f"model card {cpath} is not a file; {retrain}")
    if not cpath.is_file():
        raise ModelError(f"model card {cpath} not found; a model without its card is refused ({retrain})")
    try:
        card = json.loads(cpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"model card {cpath} is not valid JSON: {exc}") from exc
    if not isinstance(card, dict) or not isinstance(card.get("model_sha256"), str):
        raise ModelError(f"model card {cpath} has no model_sha256")
    if not isinstance(card.get("versions"), dict):
        raise ModelError(f"model card {cpath} has no versions; {retrain}")
    if not isinstance(card["versions"].get("scikit-learn"), str):
        raise ModelError(f"model card {cpath} has no scikit-learn version; {retrain}")
    return card


def load(path: str | Path = DEFAULT_MODEL) -> tuple[Any, dict[str, Any]]:
    """Load ``(pipeline, card)`` after checking the file's sha256 and scikit-learn version.

    The file is read once; its bytes are hashed and only those same bytes are unpickled, and
    only if they match the card. The card's ``labels`` must then be the pipeline's classes in
    the order of :data:`stance.labels.LABELS`. The card's other fields are not checked.
    """
    path = Path(path)
    if path.suffix == ".json":
        raise ModelError(f"{path} is a model card's name, not a model's; pass the model file "
                         f"(.joblib) beside it")
    if path.exists() and not path.is_file():
        raise ModelError(f"model file {path} is not a file")
    if not path.is_file():
        raise ModelError(f"model file {path} not found; train one with `stance train --model {path}`")
    card = read_card(path)
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != card["model_sha256"]:
        raise ModelError(f"model file {path} does not match its card (sha256 {actual[:12]}… != "
                         f"{card['model_sha256'][:12]}…: the file was changed, or its save did not finish); "
                         f"refusing to load it. Retrain with `stance train --model {path}`.")
    trained_with = card["versions"].get("scikit-learn")
    if trained_with != sklearn.__version__:
        raise ModelError(f"model {path} was trained with scikit-learn {trained_with}, but "
                         f"{sklearn.__version__} is installed; retrain with `stance train --model {path}`")
    try:
        pipeline = joblib.load(io.BytesIO(data))
    except Exception as exc:  # damaged bytes under a re-hashed card, a NumPy the pickle cannot meet
        raise ModelError(f"model file {path} cannot be loaded ({type(exc).__name__}: {exc}); "
                         f"retrain with `stance train --model {path}`") from exc
    classes = [str(c) for c in getattr(pipeline, "classes_", [])]
    labels = [lab for lab in LABELS if lab in classes] + sorted(set(classes) - set(LABELS))
    if card.get("labels") != labels:
        raise ModelError(f"model card {card_path(path)} lists labels {card.get('labels')}, but the model "
                         f"predicts {labels}; refusing to load it. Retrain with `stance train --model {path}`.")
    return pipeline, card
