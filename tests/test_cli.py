"""The CLI in-process (``main(argv)``), plus once through the installed ``stance`` command."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from stance.cli import main
from stance.labels import LABELS


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_arguments_jsonl(capsys, tiny_model_path):
    code, out, _ = run(capsys, "predict", "They denied the report.", "Police blamed the driver.",
                       "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in rows] == ["They denied the report.", "Police blamed the driver."]
    assert all(list(r["scores"]) == list(LABELS) and r["label"] in LABELS for r in rows)


def test_predict_reads_stdin_one_per_line(capsys, monkeypatch, tiny_model_path):
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("first one\n\nsecond one\n"))
    code, out, _ = run(capsys, "predict", "-", "--model", tiny_model_path, "--format", "csv")
    assert code == 0
    frame = pd.read_csv(__import__("io").StringIO(out))
    assert frame["text"].tolist() == ["first one", "second one"]
    assert {f"p_{lab}" for lab in LABELS} <= set(frame.columns)


def test_predict_csv_file_keeps_other_columns_and_writes_output(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [7, 8], "body": ["They rejected it.", "A bridge opened."]}).to_csv(src, index=False)
    dest = tmp_path / "out.jsonl"
    code, out, _ = run(capsys, "predict", "--input", src, "--text-column", "body", "--output", dest,
                       "--format", "jsonl", "--model", tiny_model_path)
    assert code == 0 and out == ""
    rows = [json.loads(line) for line in dest.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["7", "8"]  # CSV values pass through as written
    assert rows[0]["text"] == "They rejected it."
    assert oct(dest.stat().st_mode & 0o777) != oct(0o600)  # normal permissions, not mkstemp's


def test_input_columns_named_like_outputs_are_kept_with_a_prefix(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "gold.csv"
    pd.DataFrame({"text": ["They rejected it."], "label": ["denial"], "body": ["x"]}).to_csv(src, index=False)
    code, out, _ = run(capsys, "predict", "--input", src, "--format", "jsonl", "--model", tiny_model_path)
    row = json.loads(out)
    assert code == 0 and row["input_label"] == "denial" and row["label"] in LABELS and row["body"] == "x"


def test_output_dash_is_stdout_and_missing_folder_is_refused(capsys, tmp_path, tiny_model_path):
    code, out, _ = run(capsys, "predict", "x y", "--output", "-", "--model", tiny_model_path)
    assert code == 0 and out.startswith("label")
    code, _, err = run(capsys, "predict", "x y", "--output", tmp_path / "no" / "out.csv", "--model", tiny_model_path)
    assert code == 2 and "does not exist" in err and not (tmp_path / "no").exists()


@pytest.mark.parametrize("argv, message", [
    (["predict", ""], "statement 1 is empty"),
    (["predict", "--article", "--input", "{tmp}/nope.txt"], "file not found"),
    (["predict", "--input", "{tmp}"], "not a file"),
    (["predict", "--input", "{tmp}/latin1.txt"], "not UTF-8"),
    (["evaluate", "{tmp}/empty.csv"], "no labelled rows"),
    (["predict", "x", "--batch-size", "0"], None),
])
def test_bad_input_is_a_one_line_error(capsys, tmp_path, tiny_model_path, argv, message):
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 denied\n".encode("latin-1"))
    (tmp_path / "empty.csv").write_text("text,label\n", encoding="utf-8")
    argv = [a.format(tmp=tmp_path) for a in argv] + ["--model", str(tiny_model_path)]
    if message is None:  # argparse rejects it
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        return
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_data_refuses_a_missing_reports_folder_and_keeps_the_corpus(capsys, tmp_path, tiny_frame):
    data = _write_corpus(tmp_path, tiny_frame)
    before = data.read_bytes()
    code, _, err = run(capsys, "data", "--reports", tmp_path / "typo", "--data", data, "--split", tmp_path / "split.csv")
    assert code == 2 and "no .txt reports" in err and data.read_bytes() == before
    (tmp_path / "reports" / "d1.txt").unlink()
    code, _, err = run(capsys, "data", "--reports", tmp_path / "reports", "--data", data, "--split", tmp_path / "split.csv")
    assert code == 2 and "d1" in err and data.read_bytes() == before


@pytest.mark.parametrize("bad", ["columns", "bytes", "empty", "report"])
def test_data_on_a_bad_corpus_or_report_is_a_one_line_error_and_writes_nothing(capsys, tmp_path, tiny_frame, bad):
    data = _write_corpus(tmp_path, tiny_frame)
    if bad == "report":
        (tmp_path / "reports" / "zz.txt").write_bytes(b"caf\xe9.\n")
    else:
        data.write_bytes({"columns": b"foo,bar\n1,2\n", "bytes": b"\xff\xfe", "empty": b""}[bad])
    split = tmp_path / "split.csv"
    before = data.read_bytes(), split.read_bytes() if split.exists() else None
    capsys.readouterr()
    code, _, err = run(capsys, "data", "--reports", tmp_path / "reports", "--data", data, "--split", split)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert ("zz.txt" if bad == "report" else str(data)) in err
    assert (data.read_bytes(), split.read_bytes() if split.exists() else None) == before


@pytest.mark.parametrize("content, labelled", [(b"", False), (b"\n  \n", False), (b"", True), (b" \r\n", True)])
def test_data_refuses_an_empty_report_naming_it(capsys, tmp_path, tiny_frame, content, labelled):
    data = _write_corpus(tmp_path, tiny_frame)
    report = tmp_path / "reports" / ("d2.txt" if labelled else "new.txt")  # d2's sentences are labelled
    report.write_bytes(content)
    before = data.read_bytes(), (tmp_path / "split.csv").read_bytes()
    capsys.readouterr()
    code, _, err = run(capsys, "data", "--reports", tmp_path / "reports", "--data", data,
                       "--split", tmp_path / "split.csv")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"{report}: no sentences in this report (it is empty, or holds no words)" in err
    assert (data.read_bytes(), (tmp_path / "split.csv").read_bytes()) == before


def _data(capsys, folder: Path):
    return run(capsys, "data", "--reports", folder / "reports", "--data", folder / "sentences.csv",
               "--split", folder / "split.csv")


@pytest.mark.parametrize("extra, message", [
    ("d1,test\n", "row 6, field 'doc_id': report 'd1' is listed again (first at row 1)"),
    ("d1,train\n", "listed again"),
    ("seed-nk-arms-denial,test\n", "row 6, field 'split': the seed report"),
])
def test_data_refuses_a_split_file_it_would_have_to_rewrite(capsys, tmp_path, tiny_frame, extra, message):
    data = _write_corpus(tmp_path, tiny_frame)
    split = tmp_path / "split.csv"
    split.write_text(split.read_text(encoding="utf-8") + extra, encoding="utf-8")
    before = data.read_bytes(), split.read_bytes()
    capsys.readouterr()
    code, _, err = _data(capsys, tmp_path)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert (data.read_bytes(), split.read_bytes()) == before


@pytest.mark.parametrize("field, value, message", [
    ("label", "denail", "field 'label': unknown label 'denail'"),
    ("label", " denial", "field 'label': unknown label ' denial'"),
    ("hard_case", "99", "field 'hard_case': hard_case must be empty or 1-14, got '99'"),
    ("hard_case", "\u0663", "field 'hard_case'"),
])
def test_data_refuses_to_carry_a_bad_label_forward(capsys, tmp_path, tiny_frame, field, value, message):
    data = _write_corpus(tmp_path, tiny_frame)
    rows = pd.read_csv(data, dtype=str, keep_default_na=False)
    rows.loc[2, field] = value
    rows.to_csv(data, index=False)
    before = data.read_bytes(), (tmp_path / "split.csv").read_bytes()
    capsys.readouterr()
    code, _, err = _data(capsys, tmp_path)
    assert code == 2 and f"{data}, row 3, {message}" in err and len(err.strip().splitlines()) == 1, err
    assert (data.read_bytes(), (tmp_path / "split.csv").read_bytes()) == before


@pytest.mark.parametrize("which, where, message", [
    ("split", "file/x.csv", "is not a folder"), ("data", "file/s.csv", "is not a folder"),
    ("data", "dir", "is a directory"), ("split", "sentences.csv", "name the same file"),
])
def test_data_checks_both_outputs_before_any_work(capsys, monkeypatch, tmp_path, tiny_frame, which, where, message):
    import stance.data
    data = _write_corpus(tmp_path, tiny_frame)
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    before = data.read_bytes(), (tmp_path / "split.csv").read_bytes()
    monkeypatch.setattr(stance.data, "build_sentences", lambda *a, **k: pytest.fail("work started before the check"))
    paths = {"data": data, "split": tmp_path / "split.csv", which: tmp_path / where}
    capsys.readouterr()
    code, _, err = run(capsys, "data", "--reports", tmp_path / "reports", "--data", paths["data"],
                       "--split", paths["split"])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert (data.read_bytes(), (tmp_path / "split.csv").read_bytes()) == before


def test_data_renames_neither_file_unless_both_are_written(capsys, monkeypatch, tmp_path, tiny_frame):
    data = _write_corpus(tmp_path, tiny_frame)
    (tmp_path / "reports" / "d6.txt").write_text("A new report. It has two sentences.", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir()), data.read_bytes(), (tmp_path / "split.csv").read_bytes()
    to_csv, calls = pd.DataFrame.to_csv, []

    def failing_second_write(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            to_csv(self, path, *args, **kwargs)  # half of it written, then the disk fills
            raise OSError(28, "No space left on device")
        return to_csv(self, path, *args, **kwargs)
    monkeypatch.setattr(pd.DataFrame, "to_csv", failing_second_write)
    capsys.readouterr()
    code, _, err = _data(capsys, tmp_path)
    assert code == 2 and f"{tmp_path / 'split.csv'}: cannot write: No space left on device" in err, err
    assert (sorted(p.name for p in tmp_path.iterdir()), data.read_bytes(),
            (tmp_path / "split.csv").read_bytes()) == before  # no temporaries left either


def test_data_writes_a_linked_output_last_so_a_failure_before_it_leaves_it_alone(capsys, monkeypatch,
                                                                                   tmp_path, tiny_frame):
    data = _write_corpus(tmp_path, tiny_frame)
    real = tmp_path / "real.csv"
    data.rename(real)
    data.symlink_to(real)  # written in place, so it cannot be rolled back: it must come last
    (tmp_path / "reports" / "d6.txt").write_text("A new report. It has two sentences.", encoding="utf-8")
    before = real.read_bytes(), (tmp_path / "split.csv").read_bytes()
    to_csv = pd.DataFrame.to_csv

    def failing_split_write(self, path, *args, **kwargs):
        if ".split.csv." in str(path):  # the split file's temporary
            raise OSError(28, "No space left on device")
        return to_csv(self, path, *args, **kwargs)
    monkeypatch.setattr(pd.DataFrame, "to_csv", failing_split_write)
    capsys.readouterr()
    code, _, err = _data(capsys, tmp_path)
    assert code == 2 and "No space left on device" in err, err
    assert (real.read_bytes(), (tmp_path / "split.csv").read_bytes()) == before
    assert data.is_symlink()


def test_data_counts_a_blank_label_as_needing_one(capsys, tmp_path, tiny_frame):
    data = _write_corpus(tmp_path, tiny_frame)
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    frame.loc[0, "label"] = "  "
    frame.to_csv(data, index=False)
    capsys.readouterr()
    code, _, err = _data(capsys, tmp_path)
    assert code == 1 and "1 need a label" in err, err


def test_data_names_the_split_entries_it_drops(capsys, tmp_path, tiny_frame):
    _write_corpus(tmp_path, tiny_frame)
    split = tmp_path / "split.csv"
    before = split.read_text(encoding="utf-8")
    split.write_text(before + "gone-1,test\ngone-2,train\n", encoding="utf-8")
    capsys.readouterr()
    code, _, err = _data(capsys, tmp_path)
    assert code == 0, err
    assert f"{split}: dropped the entries of 2 report(s) not in {tmp_path / 'reports'}: gone-1, gone-2" in err
    assert split.read_text(encoding="utf-8") == before


def test_data_on_a_row_with_too_many_fields_names_the_row_on_one_line(capsys, tmp_path, tiny_frame):
    data = _write_corpus(tmp_path, tiny_frame)
    lines = data.read_text(encoding="utf-8").split("\n")
    lines[3] += ",x,y"  # the third data row gets 10 fields
    data.write_text("\n".join(lines), encoding="utf-8")
    before = data.read_bytes(), (tmp_path / "split.csv").read_bytes()
    capsys.readouterr()
    code, _, err = run(capsys, "data", "--reports", tmp_path / "reports", "--data", data,
                       "--split", tmp_path / "split.csv")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert f"{data}, row 3: 10 fields but the header has 8 (the row starts on line 4 of the file)" in err
    assert (data.read_bytes(), (tmp_path / "split.csv").read_bytes()) == before


def test_predict_article_splits_with_offsets(capsys, tmp_path, tiny_model_path):
    report = tmp_path / "r.txt"
    text = "Moscow denied the report. Police accused the driver.\n\nTalks ended."
    report.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "predict", "--article", "--input", report, "--format", "jsonl",
                       "--model", tiny_model_path)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3 and all(text[r["start"]:r["end"]] == r["text"] for r in rows)


def test_predict_table_format(capsys, tiny_model, tiny_model_path):
    code, out, _ = run(capsys, "predict", "They denied it.", "Talks ended.", "--model", tiny_model_path)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["label", "denial", "accus.", "neutral"] and len(lines) == 3
    for line, p in zip(lines[1:], tiny_model.predict(["They denied it.", "Talks ended."])):
        label, *scores = line.split()[:4]
        assert label == p.label and [float(s) for s in scores] == [round(p.scores[lab], 3) for lab in LABELS]


@pytest.mark.parametrize("where, message", [("dir", "is a directory"), ("file/o.csv", "is not a folder"),
                                            ("missing/o.csv", "does not exist")])
def test_unwritable_output_fails_before_work(capsys, monkeypatch, tmp_path, tiny_model_path, where, message):
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    import stance
    monkeypatch.setattr(stance, "load_model", lambda *a, **k: pytest.fail("work started before the output check"))
    code, _, err = run(capsys, "predict", "x", "--output", tmp_path / where, "--model", tiny_model_path)
    assert code == 2 and message in err and "Traceback" not in err


def test_missing_model_is_a_one_line_error(capsys, tmp_path):
    code, _, err = run(capsys, "predict", "x", "--model", tmp_path / "nope.joblib")
    assert code == 2 and "not found" in err and len(err.strip().splitlines()) == 1


def test_bad_input_file_names_the_row(capsys, tmp_path, tiny_model_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine,denial\nok,sideways\n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", bad, "--model", tiny_model_path)
    assert code == 2 and "row 2" in err and "'label'" in err


def test_evaluate_json_and_text(capsys, tmp_path, tiny_model_path, tiny_frame):
    path = tmp_path / "gold.jsonl"
    tiny_frame[["text", "label"]].to_json(path, orient="records", lines=True)
    code, out, _ = run(capsys, "evaluate", path, "--model", tiny_model_path, "--format", "json")
    assert code == 0
    rep = json.loads(out)
    assert rep["n"] == len(tiny_frame) and rep["labels"] == list(LABELS)
    assert sum(map(sum, rep["confusion_matrix"])) == len(tiny_frame)
    code, out, _ = run(capsys, "evaluate", path, "--model", tiny_model_path)
    assert "macro-F1" in out and "confusion matrix" in out


def test_info_prints_the_card(capsys, tiny_model_path):
    code, out, _ = run(capsys, "info", "--model", tiny_model_path)
    assert code == 0 and json.loads(out)["labels"] == list(LABELS)


def _write_corpus(folder: Path, frame) -> Path:
    reports = folder / "reports"
    reports.mkdir()
    for doc, group in frame.groupby("doc_id"):
        (reports / f"{doc}.txt").write_text("\n\n".join(group["text"]), encoding="utf-8")
    data = folder / "sentences.csv"
    main(["data", "--reports", str(reports), "--data", str(data), "--split", str(folder / "split.csv")])
    rows = pd.read_csv(data, dtype=str, keep_default_na=False)
    rows["label"] = rows["text"].map(dict(zip(frame["text"], frame["label"])))
    rows.to_csv(data, index=False)
    return data


def test_data_then_train_then_evaluate_split(capsys, tmp_path, tiny_frame):
    data = _write_corpus(tmp_path, tiny_frame)
    capsys.readouterr()
    # regenerating keeps every label
    code, _, err = run(capsys, "data", "--reports", tmp_path / "reports", "--data", data,
                       "--split", tmp_path / "split.csv")
    assert code == 0 and "0 need a label" in err
    model = tmp_path / "m" / "model.joblib"
    code, out, _ = run(capsys, "train", "--data", data, "--model", model, "--folds", "2")
    assert code == 0 and model.exists() and model.with_suffix(".json").exists()
    card = json.loads(model.with_suffix(".json").read_text())
    assert card["search"]["results"] and card["cv_macro_f1"] is not None
    code, out, _ = run(capsys, "evaluate", data, "--split", "test", "--model", model, "--format", "json")
    split = pd.read_csv(tmp_path / "split.csv")
    test_docs = set(split.loc[split.split == "test", "doc_id"])
    assert test_docs
    assert code == 0 and json.loads(out)["n"] == tiny_frame["doc_id"].isin(test_docs).sum()


def test_train_without_a_split_file_warns_and_the_card_records_the_split(capsys, tmp_path, tiny_frame):
    from stance.data import file_sha256
    data = _write_corpus(tmp_path, tiny_frame)
    model = tmp_path / "m.joblib"
    capsys.readouterr()
    code, _, err = run(capsys, "train", "--data", data, "--model", model, "--no-search")
    card = json.loads(model.with_suffix(".json").read_text())
    assert code == 0 and "warning" not in err, err
    assert card["data"]["split_sha256"] == file_sha256(tmp_path / "split.csv") and card["test_metrics"]
    (tmp_path / "split.csv").unlink()
    code, _, err = run(capsys, "train", "--data", data, "--model", model, "--no-search")
    card = json.loads(model.with_suffix(".json").read_text())
    assert code == 0
    assert (f"stance train: warning: no split file {tmp_path / 'split.csv'} beside the corpus, so all "
            f"{len(tiny_frame)} sentences are used for training and there are no test scores\n") in err
    assert card["data"]["split_sha256"] is None and card["test_metrics"] is None
    assert card["data"]["n_train"] == len(tiny_frame)


@pytest.mark.skipif(shutil.which("stance") is None and not (Path(sys.executable).parent / "stance").exists(),
                    reason="stance console script not installed")
def test_installed_console_script(tmp_path, tiny_model_path):
    exe = shutil.which("stance") or str(Path(sys.executable).parent / "stance")
    out = subprocess.run([exe, "predict", "--model", str(tiny_model_path), "--format", "jsonl", "-"],
                         input="The ministry denied it.\nRain fell.\n", capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 2
    bad = subprocess.run([exe, "info", "--model", str(tmp_path / "none.joblib")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("stance info: error:")


def test_a_lone_surrogate_in_the_input_is_written_as_its_json_escape(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "s.jsonl"
    src.write_text('{"text": "\\ud800 denied it"}\n', encoding="utf-8")
    code, out, err = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0, err
    assert json.loads(out)["text"] == "\ud800 denied it"
    target = tmp_path / "o.csv"
    code, _, err = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--output", target)
    assert code == 0 and "\\ud800 denied it" in target.read_text(encoding="utf-8"), err


@pytest.mark.parametrize("line", ['{"text": ' + "1" * 5000 + "}", "[" * 100_000])
def test_jsonl_the_parser_cannot_hold_is_a_one_line_error(capsys, tmp_path, tiny_model_path, line):
    src = tmp_path / "b.jsonl"
    src.write_text('{"text": "fine"}\n' + line + "\n", encoding="utf-8")
    code, out, err = run(capsys, "predict", "--input", src, "--model", tiny_model_path)
    assert code == 2 and "row 2" in err and "invalid JSON" in err and "Traceback" not in err


def test_jsonl_output_has_null_where_an_input_column_is_missing(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "m.jsonl"
    src.write_text('{"text": "They denied it.", "x": 1}\n{"text": "A bridge opened."}\n', encoding="utf-8")
    code, out, _ = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--format", "jsonl")
    rows = [json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in JSONL output")) for line in out.splitlines()]
    assert code == 0 and [r["x"] for r in rows] == [1, None] and type(rows[0]["x"]) is int


def test_jsonl_passthrough_keeps_integers_exactly_and_csv_leaves_missing_empty(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "big.jsonl"
    src.write_text('{"text": "They denied it.", "id": 12345678901234567891, "ok": true}\n{"text": "A bridge opened."}\n',
                   encoding="utf-8")
    code, out, _ = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows[0]["id"] == 12345678901234567891 and rows[1]["id"] is None
    code, out, _ = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--format", "csv")
    frame = pd.read_csv(__import__("io").StringIO(out), dtype=str, keep_default_na=False)
    assert code == 0 and frame["id"].tolist() == ["12345678901234567891", ""] and frame["ok"].tolist() == ["True", ""]


def test_jsonl_output_reads_back_in_with_unicode_line_separators(capsys, tmp_path, tiny_model_path):
    text = "He denied it.\u2028It was false.\x0cAnd \x1c\x1d\x1e\x85 more."
    code, out, _ = run(capsys, "predict", text, "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0 and len(out.split("\n")) == 2  # one line and the final newline
    src = tmp_path / "rt.jsonl"
    src.write_text(out, encoding="utf-8")
    code, again, err = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0, err
    assert json.loads(again)["text"] == text
    txt = tmp_path / "one.txt"
    txt.write_text(text + "\r\nsecond\n", encoding="utf-8")
    code, out, _ = run(capsys, "predict", "--input", txt, "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0 and [json.loads(line)["text"] for line in out.split("\n")[:-1]] == [text, "second"]


@pytest.mark.parametrize("name, content", [("e.txt", ""), ("e.csv", "text\n"), ("e.jsonl", ""), ("b.txt", "\n \n")])
def test_empty_input_is_an_error_naming_the_source(capsys, tmp_path, tiny_model_path, name, content):
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "predict", "--input", src, "--model", tiny_model_path)
    assert code == 2 and out == "" and name in err and "Traceback" not in err


def test_empty_stdin_is_an_error(capsys, monkeypatch, tiny_model_path):
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("\n"))
    code, out, err = run(capsys, "predict", "--model", tiny_model_path)
    assert code == 2 and out == "" and "no statements to classify in standard input" in err


def test_input_dash_reads_stdin_and_a_bom_is_dropped(capsys, monkeypatch, tmp_path, tiny_model_path):
    import io
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("\ufeffThey denied it.\n".encode()), encoding="utf-8"))
    code, out, err = run(capsys, "predict", "--input", "-", "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0 and json.loads(out)["text"] == "They denied it.", err
    src = tmp_path / "bom.jsonl"
    src.write_bytes('\ufeff{"text": "They denied it."}\n'.encode())
    code, out, err = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0 and json.loads(out)["text"] == "They denied it.", err


def test_train_refuses_a_json_model_name_and_an_impossible_folder_before_training(capsys, monkeypatch, tmp_path):
    import stance.train
    monkeypatch.setattr(stance.train, "train", lambda *a, **k: pytest.fail("training started"))
    (tmp_path / "file").write_text("x")
    for model, message in [(tmp_path / "m.json", "cannot end in .json"), (tmp_path / "file" / "m.joblib", "is not a folder")]:
        code, _, err = run(capsys, "train", "--no-search", "--model", model)
        assert code == 2 and message in err and "Traceback" not in err


def test_search_on_one_report_is_a_clear_error(capsys, tmp_path, tiny_frame):
    from stance.errors import DataError
    from stance.train import cross_validate
    with pytest.raises(DataError, match="at least 2 reports"):
        cross_validate(tiny_frame[tiny_frame["doc_id"] == tiny_frame["doc_id"].iloc[0]], progress=False)


@pytest.mark.parametrize("argv", [["serve", "--port", "99999"], ["train", "--folds", "1"]])
def test_out_of_range_numbers_are_usage_errors(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "must be" in capsys.readouterr().err


def test_output_through_a_symlink_writes_its_target(capsys, tmp_path, tiny_model_path):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    code, _, err = run(capsys, "predict", "They denied it.", "--model", tiny_model_path, "--output", link,
                       "--format", "csv")
    assert code == 0, err
    assert link.is_symlink() and target.read_text().startswith("text,label")


def test_output_to_a_fifo_writes_into_the_pipe(capsys, tmp_path, tiny_model_path):
    import os
    import threading
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    code, _, err = run(capsys, "predict", "They denied it.", "--model", tiny_model_path, "--output", fifo,
                       "--format", "csv")
    reader.join(10)
    assert code == 0, err
    assert fifo.is_fifo() and got and got[0].startswith("text,label")


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])  # surrogateescape: Python's stdin under a C locale
def test_undecodable_stdin_is_a_one_line_error(capsys, monkeypatch, tiny_model_path, errors):
    import io
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"ok\n\xff\xfe junk\n"), encoding="utf-8",
                                                       errors=errors))
    code, _, err = run(capsys, "predict", "-", "--model", tiny_model_path)
    assert code == 2 and "not UTF-8" in err and "byte 3" in err


def test_output_dev_stdout_writes_to_standard_output(capsys, tiny_model_path):
    code, out, err = run(capsys, "predict", "They denied it.", "--model", tiny_model_path, "--output", "/dev/stdout",
                         "--format", "csv")
    assert code == 0 and out.startswith("text,label"), err


def test_jsonl_output_has_null_for_a_nested_nan(capsys, tmp_path, tiny_model_path):
    src = tmp_path / "n.jsonl"
    src.write_text('{"text": "They denied it.", "meta": [NaN, {"x": Infinity}]}\n', encoding="utf-8")
    code, out, err = run(capsys, "predict", "--input", src, "--model", tiny_model_path, "--format", "jsonl")
    assert code == 0, err
    assert json.loads(out, parse_constant=lambda c: pytest.fail(c))["meta"] == [None, {"x": None}]
