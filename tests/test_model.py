"""Model tests in the manner of spaCy's textcat tests: overfit, save, reload, batch == single."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from stance import load_model, persist
from stance.errors import ModelError
from stance.labels import LABELS
from stance.predict import StanceModel
from stance.train import cross_validate, fit, train


def test_overfits_a_tiny_set(tiny_frame):
    pipe = fit(tiny_frame, C=100.0)
    assert list(pipe.predict(tiny_frame["text"].tolist())) == tiny_frame["label"].tolist()


def test_save_reload_gives_identical_probabilities(tmp_path, tiny_frame):
    pipeline, card = train(tiny_frame, search=False, progress=False)
    texts = tiny_frame["text"].tolist() + ["A sentence the model never saw, with words it never saw."]
    before = StanceModel(pipeline).predict_proba(texts)
    persist.save(pipeline, card, tmp_path / "m.joblib")
    reloaded = load_model(tmp_path / "m.joblib")
    np.testing.assert_array_equal(reloaded.predict_proba(texts), before)
    np.testing.assert_array_equal(reloaded.pipeline.predict_proba(texts), pipeline.predict_proba(texts))


def test_a_model_that_cannot_be_unpickled_is_a_model_error(tmp_path, tiny_model_path):
    import hashlib
    import shutil
    path = tmp_path / "broken.joblib"
    path.write_bytes(tiny_model_path.read_bytes()[:200])  # damaged, and its card re-hashed to match
    card = json.loads(persist.card_path(tiny_model_path).read_text())
    card["model_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    persist.card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="cannot be loaded"):
        persist.load(path)
    folder = tmp_path / "dir.joblib"
    folder.mkdir()
    shutil.copy(persist.card_path(tiny_model_path), persist.card_path(folder))
    with pytest.raises(ModelError, match="is not a file"):
        persist.load(folder)


def test_batch_predictions_equal_single_ones(tiny_model, tiny_frame):
    texts = tiny_frame["text"].tolist()
    batch = tiny_model.predict(texts)
    single = [tiny_model.predict([t])[0] for t in texts]
    assert batch == single


def test_scores_follow_label_order_and_sum_to_one(tiny_model):
    (p,) = tiny_model.predict(["The ministry rejected the report as a lie."])
    assert list(p.scores) == list(LABELS)
    assert sum(p.scores.values()) == pytest.approx(1.0)
    assert p.label == max(p.scores, key=p.scores.get)


def test_probabilities_are_mapped_through_classes(tiny_frame):
    pipe = fit(tiny_frame)
    model = StanceModel(pipe)
    raw = pipe.predict_proba(["They denied it."])[0]
    mapped = model.predict_proba(["They denied it."])[0]
    for i, lab in enumerate(LABELS):
        assert mapped[i] == pytest.approx(raw[list(pipe.classes_).index(lab)], abs=1e-12)


def test_tampered_model_is_refused(tiny_model_path, tmp_path):
    bad = tmp_path / "m.joblib"
    bad.write_bytes(tiny_model_path.read_bytes() + b"\0")
    persist.card_path(bad).write_text(persist.card_path(tiny_model_path).read_text())
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(bad)


def test_missing_card_is_refused(tiny_model_path, tmp_path):
    lone = tmp_path / "lone.joblib"
    lone.write_bytes(tiny_model_path.read_bytes())
    card = re.escape(str(lone.with_suffix(".json")))
    with pytest.raises(ModelError, match=f"^model card {card} not found; a model without its card is refused "
                                         f"\\(retrain with `stance train --model {re.escape(str(lone))}`\\)$"):
        load_model(lone)


def test_other_sklearn_version_is_refused(tiny_model_path, tmp_path):
    m = tmp_path / "old.joblib"
    m.write_bytes(tiny_model_path.read_bytes())
    card = json.loads(persist.card_path(tiny_model_path).read_text())
    card["versions"]["scikit-learn"] = "0.0.1"
    persist.card_path(m).write_text(json.dumps(card))
    import sklearn
    with pytest.raises(ModelError, match=f"^model {re.escape(str(m))} was trained with scikit-learn 0.0.1, but "
                                         f"{re.escape(sklearn.__version__)} is installed; retrain"):
        load_model(m)


def test_save_is_atomic_on_failure(tmp_path, tiny_frame):
    path = tmp_path / "m.joblib"
    persist.save(fit(tiny_frame), {"versions": {}}, path)
    before = path.read_bytes()

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        persist.save(Unpicklable(), {}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_card_records_what_the_issue_asks(tmp_path, capsys, tiny_frame):
    """`stance train` with a seed and a search: every knowable value of the card is right."""
    import hashlib

    import sklearn
    from sklearn.model_selection import ParameterGrid

    import stance
    from stance.cli import main
    from stance.model import SEARCH_SPACE
    from stance.train import MODEL_NAME

    data = tmp_path / "sentences.csv"
    rows = tiny_frame.assign(id=[f"{d}:{i}" for i, d in enumerate(tiny_frame["doc_id"])], position=0, start=0,
                             end=tiny_frame["text"].str.len(), hard_case="")
    rows[["id", "doc_id", "position", "start", "end", "text", "label", "hard_case"]].to_csv(data, index=False)
    tiny_frame[["doc_id", "split"]].drop_duplicates().to_csv(tmp_path / "split.csv", index=False)
    model = tmp_path / "m.joblib"
    assert main(["train", "--data", str(data), "--model", str(model), "--seed", "7", "--folds", "2"]) == 0
    capsys.readouterr()
    card = load_model(model).card
    assert card["name"] == MODEL_NAME and card["version"] == stance.__version__ and card["created_at"]
    assert card["versions"]["scikit-learn"] == sklearn.__version__
    assert card["labels"] == list(LABELS)
    assert card["seed"] == 7
    assert card["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    train_rows = tiny_frame[tiny_frame.split == "train"]
    assert card["data"] == {
        "path": str(data), "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "split_sha256": hashlib.sha256((tmp_path / "split.csv").read_bytes()).hexdigest(),
        "n_train": len(train_rows), "n_test": len(tiny_frame) - len(train_rows),
        "n_reports_train": train_rows["doc_id"].nunique(), "n_reports_test": 1,
        "label_counts_train": {lab: int((train_rows["label"] == lab).sum()) for lab in LABELS}}
    search = card["search"]
    assert search["space"] == SEARCH_SPACE and search["folds"] == 2
    grid = list(ParameterGrid(SEARCH_SPACE))
    results = search["results"]
    assert sorted(map(str, (r["params"] for r in results))) == sorted(map(str, grid))
    for r in results:
        assert len(r["folds"]) == 2 and r["mean"] == pytest.approx(np.mean(r["folds"]), abs=1e-4)
    assert card["cv_macro_f1"] == results[0]["mean"] == max(r["mean"] for r in results)
    assert card["hyperparameters"].items() >= results[0]["params"].items()
    assert card["test_metrics"]["n"] == len(tiny_frame) - len(train_rows)


def test_grouped_cross_validation_reports_every_grid_point(tiny_frame):
    results = cross_validate(tiny_frame[tiny_frame.split == "train"], {"C": [0.5, 5.0]}, folds=2, progress=False)
    assert sorted(r["params"]["C"] for r in results) == [0.5, 5.0]
    assert results[0]["mean"] >= results[1]["mean"]
    assert all(len(r["folds"]) == 2 for r in results)


_TRAIN_SCRIPT = """
import sys
from stance import persist
from stance.train import train
sys.path.insert(0, {tests!r})
from conftest import TINY
import pandas as pd
f = pd.DataFrame(TINY, columns=["doc_id", "text", "label"])
f["split"] = ["test" if d == "d5" else "train" for d in f["doc_id"]]  # scoring the test split predicts
p, card = train(f, search=False, progress=False)
print(persist.save(p, card, sys.argv[1])["model_sha256"])
"""


def test_same_data_and_seed_give_the_same_model_file(tmp_path):
    """Two processes with different hash seeds must write byte-identical model files."""
    script = _TRAIN_SCRIPT.format(tests=os.path.dirname(__file__))
    hashes = []
    for i, hashseed in enumerate(("1", "2")):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        out = subprocess.run([sys.executable, "-c", script, str(tmp_path / f"m{i}.joblib")], env=env,
                             capture_output=True, text=True, check=True)
        hashes.append(out.stdout.strip())
    assert hashes[0] == hashes[1] and len(hashes[0]) == 64


def test_train_refuses_a_split_without_every_label(tiny_frame):
    from stance.errors import DataError
    with pytest.raises(DataError, match="no \\['neutral'\\] sentence"):
        train(tiny_frame[tiny_frame.label != "neutral"], search=False, progress=False)


@pytest.mark.parametrize("native", [True, False], ids=["C sums", "Python sums"])
def test_compiled_inference_equals_the_pipeline(tiny_model, tiny_frame, native):
    """StanceModel's compiled per-text path gives predict_proba's numbers (to 1e-12) on varied
    input: corpus sentences, empty and whitespace strings, unknown words, quotes, long text,
    repeated terms; with the sums in the C extension and in Python."""
    from stance.predict import _Compiled, _native_scorer
    if native and _native_scorer() is None:
        if os.environ.get("STANCE_REQUIRE_NATIVE"):  # set by .ci/run: there, a failed build is a failure
            pytest.fail("the C extension stance._score was not built")
        pytest.skip("the optional C extension stance._score is not built here")
    texts = tiny_frame["text"].tolist() + [
        "", "   ", "zzzz qqqq", "\u201cWe never did it,\u201d she said.", "Ünïcödé dénïal — rejected!",
        " ".join(tiny_frame["text"]) * 3, "They denied it. They denied it again?", "denied " * 300]
    compiled = _Compiled(tiny_model.pipeline, native=native)
    assert (compiled.scorer is not None) == native
    reference = tiny_model.pipeline.predict_proba(texts)
    np.testing.assert_allclose(compiled.predict_proba(texts), reference, rtol=0, atol=1e-12)
    assert tiny_model._compiled is not None
    np.testing.assert_allclose(tiny_model.predict_proba(texts), reference[:, tiny_model._columns], rtol=0, atol=1e-12)


def test_the_c_sums_survive_grams_that_change_the_list():
    """A gram whose __eq__ runs Python code that empties the list being scored (not something
    the analyzers produce, but the extension must not read freed memory)."""
    import struct

    from stance.predict import _native_scorer
    scorer = _native_scorer()
    if scorer is None:
        pytest.skip("the optional C extension stance._score is not built here")
    table = scorer.build(["alpha", "beta"], struct.pack("8d", *range(8)))
    grams: list = []

    class Evil(str):
        def __hash__(self):
            return hash("alpha")

        def __eq__(self, other):
            grams.clear()
            return False

    grams[:] = [Evil("x"), "beta", "alpha"]
    assert scorer.score(table, grams, True, False) == (4.0 + 0.0, 5.0 + 1.0, 6.0 + 2.0, 7.0 + 3.0)


def test_build_pipeline_defaults_are_the_default_params():
    import inspect

    from stance.model import DEFAULT_PARAMS, build_pipeline
    signature = inspect.signature(build_pipeline)
    assert {k: signature.parameters[k].default for k in DEFAULT_PARAMS} == DEFAULT_PARAMS
