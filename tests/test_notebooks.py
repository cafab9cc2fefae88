"""Every notebook runs top to bottom (nbclient) against a small model trained in the test run."""

import sys

import pytest

from conftest import ROOT  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "notebooks"))


def test_there_are_three_notebooks_without_outputs():
    import nbformat
    assert [p.name for p in NOTEBOOKS] == ["01-evaluation.ipynb", "02-seed-report.ipynb", "03-learning-curve.ipynb"]
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{p.name} has outputs"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(notebook, corpus_model_path, tmp_path, monkeypatch):
    from run import execute

    monkeypatch.setenv("STANCE_MODEL", str(corpus_model_path))
    monkeypatch.setenv("STANCE_DATA", str(ROOT / "data" / "sentences.csv"))
    monkeypatch.setenv("STANCE_FIG_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("STANCE_LC_FRACTIONS", "0.25,1.0")
    out = execute(notebook, tmp_path, timeout=300)
    assert out.exists()
    figures = list((tmp_path / "figures").iterdir())
    assert figures, "the notebook saved no figure"


def _outputs_text(cell) -> str:
    """Everything a code cell printed or displayed, as plain text."""
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def test_seed_report_is_read_from_the_data_folder_passed_in(tiny_model_path, tmp_path, monkeypatch):
    from run import execute
    import nbformat

    data = tmp_path / "data"
    (data / "reports").mkdir(parents=True)
    (data / "reports" / "seed-nk-arms-denial.txt").write_text(
        "Zorbania denied selling shells to anyone.\n\nThe talks ended on Monday.\n", encoding="utf-8")
    monkeypatch.setenv("STANCE_MODEL", str(tiny_model_path))
    monkeypatch.setenv("STANCE_DATA", str(data / "sentences.csv"))
    monkeypatch.setenv("STANCE_FIG_DIR", str(tmp_path / "figures"))
    out = nbformat.read(execute(ROOT / "notebooks" / "02-seed-report.ipynb", tmp_path / "out", timeout=120),
                        as_version=4)
    table = _outputs_text(next(c for c in out.cells if c.id == "d7f54595"))
    assert "Zorbania" in table and "North Korea" not in table


def test_search_table_shows_class_weight_none_as_none(tiny_frame, tmp_path, monkeypatch):
    """Notebook 01 up to its table of the search, against a model trained with a search."""
    from run import execute
    import nbformat

    from stance import persist
    from stance.train import train

    pipeline, card = train(tiny_frame, search=True, folds=2, progress=False)
    assert None in {r["params"]["class_weight"] for r in card["search"]["results"]}
    persist.save(pipeline, card, tmp_path / "m.joblib")
    nb = nbformat.read(ROOT / "notebooks" / "01-evaluation.ipynb", as_version=4)
    ids = [c.id for c in nb.cells]
    nb.cells = nb.cells[:ids.index("91e7b9f7") + 1]
    partial = tmp_path / "01-partial.ipynb"
    nbformat.write(nb, partial)
    monkeypatch.setenv("STANCE_MODEL", str(tmp_path / "m.joblib"))
    monkeypatch.setenv("STANCE_DATA", str(ROOT / "data" / "sentences.csv"))
    monkeypatch.setenv("STANCE_FIG_DIR", str(tmp_path / "figures"))
    table = _outputs_text(nbformat.read(execute(partial, tmp_path / "out", timeout=120), as_version=4).cells[-1])
    assert "class_weight" in table and "None" in table and "balanced" in table and "NaN" not in table
