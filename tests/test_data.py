"""Corpus validation, the grouped split, input files, and the committed corpus itself."""

import re
from pathlib import Path

import pandas as pd
import pytest

from stance.data import (REQUIRED_COLUMNS, build_sentences, load_corpus, load_split, make_split, read_labelled,
                         read_texts, validate_corpus)
from stance.errors import DataError
from stance.labels import LABELS
from stance.text import normalize

from conftest import DEV, ROOT  # noqa: E402

CORPUS = ROOT / "data" / "sentences.csv"


def _frame(**overrides):
    rows = [{"id": "r:0", "doc_id": "r", "position": "0", "start": "0", "end": "12", "text": "They denied.",
             "label": "denial", "hard_case": ""},
            {"id": "r:1", "doc_id": "r", "position": "1", "start": "13", "end": "26", "text": "Police spoke.",
             "label": "neutral", "hard_case": "5"}]
    for key, value in overrides.items():
        rows[1][key] = value
    return pd.DataFrame(rows)


def test_valid_frame_passes_and_is_typed():
    out = validate_corpus(_frame())
    assert out["start"].tolist() == [0, 13]


@pytest.mark.parametrize("override, field, match", [
    ({"label": "denail"}, "label", "unknown label"),
    ({"text": "  "}, "text", "empty text"),
    ({"id": "r:0"}, "id", "duplicate id"),
    ({"text": "THEY  denied!"}, "text", "duplicate sentence"),
    ({"start": "x"}, "start", "integer"),
    ({"hard_case": "15"}, "hard_case", "1-14"),
    ({"position": "\u00b2"}, "position", "integer"),  # "²": str.isdigit() is true, int() fails
    ({"start": "\u00b2"}, "start", "integer"),
    ({"end": "\u00b2"}, "end", "integer"),
    ({"hard_case": "\u00b2"}, "hard_case", "1-14"),
    ({"hard_case": "\u0663"}, "hard_case", "1-14"),  # Arabic-Indic three: int() reads it as 3
    ({"start": "9" * 23}, "start", "too large"),  # would overflow int64
    ({"end": "1000000000"}, "end", "too large"),
    ({"label": ""}, "label", "has no label"),
    ({"label": " "}, "label", "has no label"),
])
def test_each_problem_names_file_row_and_field(override, field, match):
    with pytest.raises(DataError, match=match) as err:
        validate_corpus(_frame(**override), file="c.csv")
    assert err.value.file == "c.csv" and err.value.row == 2 and err.value.field == field
    assert "c.csv, row 2" in str(err.value)


@pytest.mark.parametrize("name, content, row", [
    ("a.jsonl", '{"text": "x", "label": "denial"}\n{"text": "y"}\n', 2),  # no key: NaN in the frame
    ("b.jsonl", '{"text": "x", "label": null}\n', 1),
    ("c.jsonl", '{"text": "x", "label": "  "}\n', 1),
    ("d.csv", "text,label\nx,denial\ny,\n", 2),
])
def test_a_missing_label_is_reported_as_missing(tmp_path, name, content, row):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_labelled(tmp_path / name)
    assert str(err.value) == f"{tmp_path / name}, row {row}, field 'label': has no label"


@pytest.mark.parametrize("content, row, message", [
    ('text,label\n"x,denial\n', 1, "a quoted field is not closed before the end of the file (the row starts on line 2"),
    ('text,label\na,denial\n"b,neutral\nc,d\n', 2, "a quoted field is not closed"),
    # a blank line and a quoted line break before it: pandas would say "line 4"
    ('text,label\na,denial\n\n"b\nc",neutral\nd,neutral,x\n', 3,
     "3 fields but the header has 2 (the row starts on line 6 of the file)"),
    ("text,label\na,denial,\nb,neutral,\n", 1, "3 fields but the header has 2"),  # pandas would shift the columns
])
def test_a_malformed_csv_is_one_line_naming_the_data_row(tmp_path, content, row, message):
    (tmp_path / "q.csv").write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_labelled(tmp_path / "q.csv")
    assert err.value.row == row and message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_missing_column():
    with pytest.raises(DataError, match="missing required column"):
        validate_corpus(_frame().drop(columns=["label"]), file="c.csv")


def test_offsets_are_checked_against_the_report(tmp_path):
    (tmp_path / "r.txt").write_text("They denied. Police spoke.", encoding="utf-8")
    validate_corpus(_frame(), reports_dir=tmp_path)
    with pytest.raises(DataError, match="offsets") as err:
        validate_corpus(_frame(start="14"), reports_dir=tmp_path)
    assert err.value.row == 2


def test_build_sentences_keeps_labels_and_leaves_new_ones_empty(tmp_path):
    (tmp_path / "r.txt").write_text("They denied. Police spoke. A new sentence.", encoding="utf-8")
    out = build_sentences(tmp_path, _frame())
    assert out["label"].tolist() == ["denial", "neutral", ""]
    assert out["hard_case"].tolist() == ["", "5", ""]
    assert list(out.columns) == list(REQUIRED_COLUMNS)


def test_split_is_grouped_deterministic_and_stable():
    docs = [f"doc{i}" for i in range(50)] + ["seed-nk-arms-denial"]
    a, b = make_split(docs), make_split(list(reversed(docs)))
    assert a == b
    assert sum(v == "test" for v in a.values()) == round(0.2 * len(docs))
    assert a["seed-nk-arms-denial"] == "train"
    grown = make_split(docs + ["new1", "new2"], existing=a)
    assert all(grown[d] == a[d] for d in docs)


@pytest.mark.parametrize("rows, row, field, match", [
    ("a,train\nb,test\na,test\n", 3, "doc_id", "report 'a' is listed again (first at row 1)"),
    ("a,train\nb,test\na,train\n", 3, "doc_id", "listed again"),  # even when the two agree
    ("a,train\nseed-nk-arms-denial,test\n", 2, "split", "seed report 'seed-nk-arms-denial' always trains"),
    ("a,train\n,test\n", 2, "doc_id", "empty report id"),
    ("a,train\nb,Test\n", 2, "split", "'train' or 'test'"),
])
def test_load_split_refuses_an_ambiguous_or_impossible_split(tmp_path, rows, row, field, match):
    path = tmp_path / "split.csv"
    path.write_text("doc_id,split\n" + rows, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(match)) as err:
        load_split(path)
    assert (err.value.file, err.value.row, err.value.field) == (str(path), row, field)


def test_read_texts_formats(tmp_path):
    (tmp_path / "a.txt").write_text("one\n\ntwo\n", encoding="utf-8")
    assert read_texts(tmp_path / "a.txt")["text"].tolist() == ["one", "two"]
    (tmp_path / "a.jsonl").write_text('{"text": "x", "id": 1}\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_texts(tmp_path / "a.jsonl")
    assert err.value.field == "text"
    (tmp_path / "b.jsonl").write_text('{"text": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match="invalid JSON") as err:
        read_texts(tmp_path / "b.jsonl")
    assert err.value.row == 2
    (tmp_path / "c.csv").write_text("text,label\nok,denial\n,neutral\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty") as err:
        read_texts(tmp_path / "c.csv")
    assert err.value.row == 2
    (tmp_path / "d.csv").write_text("text,label\nok,maybe\n", encoding="utf-8")
    with pytest.raises(DataError, match="unknown label"):
        read_labelled(tmp_path / "d.csv")
    with pytest.raises(DataError, match="not found"):
        read_texts(tmp_path / "missing.csv")


# ---- the committed corpus ------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


def test_corpus_is_valid_and_meets_the_issue_counts(corpus):
    counts = corpus["label"].value_counts()
    assert len(corpus) >= 3000
    assert counts["denial"] >= 700 and counts["accusation"] >= 700
    assert (corpus["hard_case"].astype(str).str.strip() != "").sum() >= 400
    assert corpus["doc_id"].nunique() >= 151
    assert "seed-nk-arms-denial" in set(corpus["doc_id"])


def test_every_report_is_wholly_in_one_split(corpus):
    per_doc = corpus.groupby("doc_id")["split"].nunique()
    assert (per_doc == 1).all()
    test_share = (corpus["split"] == "test").mean()
    assert 0.1 < test_share < 0.3
    assert set(corpus.loc[corpus.split == "test", "label"]) == set(LABELS)


def test_split_file_covers_exactly_the_reports(corpus):
    split = load_split(ROOT / "data" / "split.csv")
    assert set(split) == set(corpus["doc_id"])
    reports = {p.stem for p in (ROOT / "data" / "reports").glob("*.txt")}
    assert reports == set(split)


def test_corpus_rows_match_the_splitter(corpus):
    """sentences.csv is what `stance data` would regenerate from the reports."""
    rebuilt = build_sentences(ROOT / "data" / "reports", corpus)
    assert rebuilt["id"].tolist() == corpus["id"].tolist()
    assert rebuilt["label"].tolist() == corpus["label"].tolist()


@pytest.mark.skipif(not DEV.exists(), reason="../shared/realworld/dev.csv not present")
def test_no_corpus_sentence_is_a_near_copy_of_a_real_world_dev_sentence(corpus):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    dev = pd.read_csv(DEV)
    assert not set(map(normalize, corpus["text"])) & set(map(normalize, dev["text"]))
    vec = TfidfVectorizer().fit(list(corpus["text"]) + list(dev["text"]))
    sims = cosine_similarity(vec.transform(corpus["text"]), vec.transform(dev["text"]))
    i, j = divmod(int(sims.argmax()), sims.shape[1])
    assert sims.max() < 0.8, (corpus["text"].iloc[i], float(sims.max()))
