"""Saving and loading: the model and its card change together or not at all; the card is checked on load."""

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from stance import persist
from stance.errors import ModelError
from stance.train import fit


def _copy_model(src: Path, dest: Path) -> Path:
    shutil.copy(src, dest)
    shutil.copy(persist.card_path(src), persist.card_path(dest))
    return dest


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def interrupt_card_rename(monkeypatch):
    """Make the card's rename (the second one) raise KeyboardInterrupt, as a Ctrl-C there would."""
    real = persist.publish

    def publish(tmp: Path, path: Path) -> None:
        if path.suffix == ".json":
            raise KeyboardInterrupt
        real(tmp, path)

    monkeypatch.setattr(persist, "publish", publish)


@pytest.mark.parametrize("hard_links", [True, False], ids=["hard-link", "copy"])
def test_interrupt_between_the_renames_keeps_the_previous_model_and_card(
        tmp_path, monkeypatch, tiny_model_path, tiny_frame, interrupt_card_rename, hard_links):
    if not hard_links:
        monkeypatch.setattr(persist.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError("no links")))
    path = _copy_model(tiny_model_path, tmp_path / "m.joblib")
    model_before, card_before = path.read_bytes(), persist.card_path(path).read_text()
    with pytest.raises(KeyboardInterrupt):
        persist.save(fit(tiny_frame, C=0.5), json.loads(card_before), path)
    assert path.read_bytes() == model_before
    assert persist.card_path(path).read_text() == card_before
    pipeline, card = persist.load(path)
    assert card == json.loads(card_before) and list(pipeline.classes_)
    assert _leftovers(tmp_path) == []


def test_interrupt_between_the_renames_of_a_first_save_leaves_nothing(
        tmp_path, tiny_model_path, tiny_frame, interrupt_card_rename):
    card = json.loads(persist.card_path(tiny_model_path).read_text())
    with pytest.raises(KeyboardInterrupt):
        persist.save(fit(tiny_frame), card, tmp_path / "m.joblib")
    assert list(tmp_path.iterdir()) == []


def test_a_card_rename_that_fails_restores_the_previous_model(tmp_path, tiny_model_path, tiny_frame):
    path = tmp_path / "m.joblib"
    shutil.copy(tiny_model_path, path)
    persist.card_path(path).mkdir()  # the card cannot be renamed onto a folder
    with pytest.raises(OSError):
        persist.save(fit(tiny_frame), {}, path)
    assert path.read_bytes() == tiny_model_path.read_bytes()
    assert _leftovers(tmp_path) == []


def test_a_save_replaces_both_files_and_leaves_no_backup(tmp_path, tiny_model_path, tiny_frame):
    path = _copy_model(tiny_model_path, tmp_path / "m.joblib")
    card = json.loads(persist.card_path(path).read_text())
    written = persist.save(fit(tiny_frame, C=0.5), card, path)
    assert written["model_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.read_bytes() != tiny_model_path.read_bytes()
    assert persist.load(path)[1] == written
    assert _leftovers(tmp_path) == []


def test_a_model_that_does_not_match_its_card_says_how_to_retrain_it(tmp_path, tiny_model_path):
    path = _copy_model(tiny_model_path, tmp_path / "m.joblib")
    path.write_bytes(path.read_bytes() + b"\0")  # as a save killed between its two renames leaves it
    with pytest.raises(ModelError, match=f"does not match its card .*Retrain with `stance train --model {re.escape(str(path))}`"):
        persist.load(path)
