"""Corpus validation, the grouped split, input files, and the committed corpus itself."""

import re
from pathlib import Path

import pandas as pd
import pytest

from stance.data import (REQUIRED_COLUMNS, SEED_REPORT, TEST_FRACTION, build_sentences, load_corpus, load_split,
                         make_split, read_labelled, read_report, read_texts, validate_corpus)
from stance.errors import DataError
from stance.labels import LABELS
from stance.text import normalize, split_sentences

from conftest import DEV, ROOT  # noqa: E402

CORPUS = ROOT / "data" / "sentences.csv"
DATA_README = ROOT / "data" / "README.md"


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


def test_split_is_deterministic_and_stable_as_reports_are_added():
    docs = [f"doc{i:02d}" for i in range(40)]
    first = make_split(docs)
    assert first == make_split(list(reversed(docs)) + docs[:5])  # order and repeats do not matter
    assert sum(v == "test" for v in first.values()) == round(TEST_FRACTION * len(docs))
    split, added = first, list(docs)
    # one report at a time, then a batch with the seed report in it while test places are open
    for batch in [["new00"], ["new01"], ["new02"], ["new03"], [f"new{i:02d}" for i in range(4, 30)] + [SEED_REPORT]]:
        added += batch
        grown = make_split(added, existing=split)
        assert {d: grown[d] for d in split} == split  # existing assignments never move
        assert set(grown) == set(added)
        assert sum(v == "test" for v in grown.values()) == round(TEST_FRACTION * len(added))
        split = grown
    assert split[SEED_REPORT] == "train"
    assert make_split([SEED_REPORT, "x"], test_fraction=1.0) == {SEED_REPORT: "train", "x": "test"}
    # after reports are removed the test share may be above 20%: nothing moves, new reports train
    kept = {d: v for d, v in split.items() if v == "test" or d == SEED_REPORT}
    assert make_split([*kept, "late"], existing=kept) == {**kept, "late": "train"}


def test_split_is_by_report_from_stance_data_to_the_loader(tmp_path, capsys):
    """`stance data` writes one split row per report, and every sentence of a report lands in its split."""
    from stance.cli import main
    reports = tmp_path / "reports"
    reports.mkdir()
    for r in range(12):
        (reports / f"r{r:02d}.txt").write_text(" ".join(f"Report {r} says thing {k}." for k in range(4)),
                                               encoding="utf-8")
    data, split_path = tmp_path / "sentences.csv", tmp_path / "split.csv"
    assert main(["data", "--reports", str(reports), "--data", str(data), "--split", str(split_path)]) == 1
    rows = pd.read_csv(data, dtype=str, keep_default_na=False)
    rows["label"] = "neutral"
    rows.to_csv(data, index=False)
    raw = pd.read_csv(split_path, dtype=str)
    assert sorted(raw["doc_id"]) == [f"r{r:02d}" for r in range(12)]  # one row per report, not per sentence
    corpus = load_corpus(data)
    assert len(corpus) == 48 and (corpus.groupby("doc_id").size() == 4).all()
    assert (corpus.groupby("doc_id")["split"].nunique() == 1).all()
    assert dict(zip(corpus["doc_id"], corpus["split"])) == dict(zip(raw["doc_id"], raw["split"]))
    assert corpus.loc[corpus.split == "test", "doc_id"].nunique() == round(TEST_FRACTION * 12)


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


def _readme_table(heading_row: str) -> dict[str, list[int]]:
    """The rows of the data/README.md table whose header starts with ``heading_row``: first cell ->
    the numbers in the other cells (thousands separators dropped; text cells skipped)."""
    lines = [line.strip() for line in DATA_README.read_text(encoding="utf-8").splitlines()]
    at = next(i for i, line in enumerate(lines) if line.startswith(heading_row))
    rows = {}
    for line in lines[at + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().replace(",", "") for c in line.strip("|").split("|")]
        rows[cells[0]] = [int(c) for c in cells[1:] if c.isdecimal()]
    return rows


def test_corpus_is_valid_and_meets_the_issue_counts(corpus):
    counts = corpus["label"].value_counts()
    assert len(corpus) >= 3000  # the issue's minimums
    assert counts["denial"] >= 700 and counts["accusation"] >= 700
    assert (corpus["hard_case"].astype(str).str.strip() != "").sum() >= 400
    assert corpus["doc_id"].nunique() >= 151
    assert SEED_REPORT in set(corpus["doc_id"])


def test_data_readme_states_the_corpus_counts(corpus):
    """Every count data/README.md gives is the corpus's own, so the card cannot drift."""
    def row(frame):
        return [*(int((frame["label"] == lab).sum()) for lab in LABELS), len(frame), frame["doc_id"].nunique()]
    per_split = _readme_table("| split | denial | accusation | neutral | sentences | reports |")
    assert per_split == {"test": row(corpus[corpus.split == "test"]), "train": row(corpus[corpus.split == "train"]),
                         "all": row(corpus)}
    waves = _readme_table("| wave | reports |")
    written = corpus[corpus["doc_id"] != SEED_REPORT]
    by_wave = {w: [g["doc_id"].nunique(), len(g), *(int((g["label"] == lab).sum()) for lab in LABELS)]
               for w, g in written.groupby(written["doc_id"].str.split("-").str[0])}
    assert waves == by_wave
    text = DATA_README.read_text(encoding="utf-8")
    n_written = written["doc_id"].nunique()
    assert f"the seed report and {n_written} reports written" in text and f"**{n_written} written reports**" in text
    hard = corpus["hard_case"].astype(str).str.strip()
    assert f"Rows with a hard_case: {(hard != '').sum():,} of {len(corpus):,}." in text
    assert _readme_table("| hard case |")["rows"] == [int((hard == str(k)).sum()) for k in range(1, 15)]


def test_every_report_is_wholly_in_one_split(corpus):
    """split.csv, read as plain rows, lists every report file exactly once; joined to the corpus
    through the public loader, every report's sentences sit in one split."""
    raw = pd.read_csv(ROOT / "data" / "split.csv", dtype=str, keep_default_na=False)
    reports = sorted(p.stem for p in (ROOT / "data" / "reports").glob("*.txt"))
    assert sorted(raw["doc_id"]) == reports  # a report listed twice would appear twice here
    joined = corpus[["doc_id"]].merge(raw, on="doc_id", how="left", validate="many_to_one")
    assert joined["split"].isin(["train", "test"]).all()
    assert (joined.groupby("doc_id")["split"].nunique() == 1).all()
    train_docs = set(corpus.loc[corpus.split == "train", "doc_id"])
    test_docs = set(corpus.loc[corpus.split == "test", "doc_id"])
    assert not train_docs & test_docs and sorted(train_docs | test_docs) == reports
    assert SEED_REPORT in train_docs
    assert len(test_docs) == round(TEST_FRACTION * len(reports))  # topped up to 20%, not past it
    assert set(corpus.loc[corpus.split == "test", "label"]) == set(LABELS)


def test_split_file_covers_exactly_the_reports(corpus):
    split = load_split(ROOT / "data" / "split.csv")
    assert set(split) == set(corpus["doc_id"])
    reports = {p.stem for p in (ROOT / "data" / "reports").glob("*.txt")}
    assert reports == set(split)
    assert make_split(sorted(reports), existing=split) == split  # `stance data` would leave it as it is


def test_corpus_rows_match_the_splitter(corpus):
    """sentences.csv holds exactly the sentences and offsets the splitter finds in the report files,
    and regenerating it (`stance data`) finds every row's label again."""
    expected = []
    for report in sorted((ROOT / "data" / "reports").glob("*.txt")):
        for pos, sent in enumerate(split_sentences(read_report(report))):
            expected.append((f"{report.stem}:{pos}", report.stem, pos, sent.start, sent.end, sent.text))
    columns = ["id", "doc_id", "position", "start", "end", "text"]
    assert list(corpus[columns].itertuples(index=False, name=None)) == expected
    rebuilt = build_sentences(ROOT / "data" / "reports", corpus)
    assert rebuilt["label"].tolist() == corpus["label"].tolist()
    assert rebuilt["hard_case"].tolist() == corpus["hard_case"].astype(str).tolist()


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
