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
    with pytest.raises(ModelError, match=rf"^{re.escape(str(path))}: cannot save the model: .*as they were$"):
        persist.save(fit(tiny_frame), {}, path)
    assert path.read_bytes() == tiny_model_path.read_bytes()
    assert _leftovers(tmp_path) == []


def test_a_full_disk_while_copying_the_backup_is_one_line_and_keeps_the_previous_pair(
        tmp_path, monkeypatch, tiny_model_path, tiny_frame):
    path = _copy_model(tiny_model_path, tmp_path / "m.joblib")
    model_before, card_before = path.read_bytes(), persist.card_path(path).read_text()
    monkeypatch.setattr(persist.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError("no links")))
    monkeypatch.setattr(persist.shutil, "copy2",
                        lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(ModelError, match=r"cannot save the model: No space left on device"):
        persist.save(fit(tiny_frame, C=0.5), json.loads(card_before), path)
    assert (path.read_bytes(), persist.card_path(path).read_text()) == (model_before, card_before)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("hard_links", [True, False], ids=["hard-link", "copy"])
def test_an_interrupted_save_puts_back_a_linked_model_as_the_link(
        tmp_path, monkeypatch, tiny_model_path, tiny_frame, interrupt_card_rename, hard_links):
    if not hard_links:
        monkeypatch.setattr(persist.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError("no links")))
    store = tmp_path / "store"
    store.mkdir()
    real = _copy_model(tiny_model_path, store / "real.joblib")
    path = tmp_path / "m.joblib"
    path.symlink_to(real)
    shutil.copy(persist.card_path(real), persist.card_path(path))
    with pytest.raises(KeyboardInterrupt):
        persist.save(fit(tiny_frame, C=0.5), json.loads(persist.card_path(path).read_text()), path)
    assert path.is_symlink() and path.resolve() == real.resolve()
    assert real.read_bytes() == tiny_model_path.read_bytes()
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


def _with_card(tmp_path: Path, tiny_model_path: Path, edit) -> Path:
    """A copy of the tiny model whose card ``edit`` has changed in place."""
    path = _copy_model(tiny_model_path, tmp_path / "m.joblib")
    card = json.loads(persist.card_path(path).read_text())
    edit(card)
    persist.card_path(path).write_text(json.dumps(card))
    return path


def test_a_card_without_a_scikit_learn_version_is_refused(tmp_path, tiny_model_path):
    path = _with_card(tmp_path, tiny_model_path, lambda card: card["versions"].pop("scikit-learn"))
    with pytest.raises(ModelError, match=f"^model card {re.escape(str(persist.card_path(path)))} has no "
                                         f"scikit-learn version; retrain"):
        persist.load(path)


def test_a_card_that_is_a_folder_is_not_a_file(tmp_path, tiny_model_path):
    path = tmp_path / "m.joblib"
    shutil.copy(tiny_model_path, path)
    persist.card_path(path).mkdir()
    with pytest.raises(ModelError, match=f"^model card {re.escape(str(persist.card_path(path)))} is not a file"):
        persist.load(path)


def test_a_card_passed_as_the_model_is_refused_with_what_to_pass(capsys, tmp_path, tiny_model_path):
    from stance.cli import main
    card = persist.card_path(_copy_model(tiny_model_path, tmp_path / "m.joblib"))
    with pytest.raises(ModelError, match=f"^{re.escape(str(card))} is a model card's name.*pass the model "
                                         f"file \\(\\.joblib\\)"):
        persist.load(card)
    assert main(["info", "--model", str(card)]) == 2
    err = capsys.readouterr().err
    assert "pass the model file (.joblib)" in err and "sha256" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("labels", [["accusation", "denial", "neutral"], ["denial", "accusation"],
                                    ["denial", "accusation", "neutral", "other"], "denial"])
def test_a_card_whose_labels_are_not_the_models_is_refused(tmp_path, tiny_model_path, labels):
    path = _with_card(tmp_path, tiny_model_path, lambda card: card.update(labels=labels))
    with pytest.raises(ModelError, match=f"^model card {re.escape(str(persist.card_path(path)))} lists labels "
                                         f".*but the model predicts \\['denial', 'accusation', 'neutral'\\]"):
        persist.load(path)
