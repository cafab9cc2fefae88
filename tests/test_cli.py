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


def test_predict_article_splits_with_offsets(capsys, tmp_path, tiny_model_path):
    report = tmp_path / "r.txt"
    text = "Moscow denied the report. Police accused the driver.\n\nTalks ended."
    report.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "predict", "--article", "--input", report, "--format", "jsonl",
                       "--model", tiny_model_path)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3 and all(text[r["start"]:r["end"]] == r["text"] for r in rows)


def test_predict_table_format(capsys, tiny_model_path):
    code, out, _ = run(capsys, "predict", "They denied it.", "--model", tiny_model_path)
    assert code == 0 and out.splitlines()[0].split()[:4] == ["label", "denial", "accus.", "neutral"]


def test_unwritable_output_fails_before_work(capsys, tmp_path, tiny_model_path):
    code, _, err = run(capsys, "predict", "x", "--output", tmp_path, "--model", tiny_model_path)
    assert code == 2 and "is a directory" in err


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
    assert code == 0 and [r["x"] for r in rows] == [1, None]


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


def test_undecodable_stdin_is_a_one_line_error(capsys, monkeypatch, tiny_model_path):
    import io
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"ok\n\xff\xfe junk\n"), encoding="utf-8",
                                                       errors="strict"))
    code, _, err = run(capsys, "predict", "-", "--model", tiny_model_path)
    assert code == 2 and "not UTF-8" in err


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
