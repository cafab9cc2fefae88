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
