"""The ``stance`` command line. Each verb parses arguments, calls one function, prints."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from stance.errors import DataError, StanceError
from stance.labels import LABELS

__all__ = ["main", "build_parser"]

EXIT_USER_ERROR = 2
# Limits of the HTTP API; `stance serve` options default to these.
MAX_TEXTS, MAX_CHARS, MAX_BODY = 1000, 20000, 10_000_000


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, default=None,
                   help="model file (default: $STANCE_MODEL or models/stance.joblib)")


def _int_in(low: int, high: int | None = None) -> Any:
    """An argparse type: an integer of at least ``low`` (and at most ``high``)."""
    def check(value: str) -> int:
        n = int(value)
        if n < low or (high is not None and n > high):
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}" if high is not None
                                             else f"must be at least {low}")
        return n
    check.__name__ = "int"  # argparse names the type in "invalid int value"
    return check


_positive, _at_least_two, _port = _int_in(1), _int_in(2), _int_in(0, 65535)


def build_parser() -> argparse.ArgumentParser:
    from stance import __version__

    parser = argparse.ArgumentParser(
        prog="stance",
        description="Tell, sentence by sentence, whether news text denies, accuses or is neutral.",
        epilog="Run `stance VERB --help` for the options of each verb. Errors in input exit with status 2.")
    parser.add_argument("--version", action="version", version=f"stance {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser("data", help="regenerate data/sentences.csv from data/reports/, keeping labels",
                       description="Split every report in REPORTS into sentences (the splitter prediction "
                                   "uses), keep the labels of sentences already labelled, and assign new "
                                   "reports to the train/test split. New sentences get an empty label; the "
                                   "exit status is 1 while any sentence still needs one.")
    p.add_argument("--reports", type=Path, default=Path("data/reports"), help="folder of .txt reports (default data/reports)")
    p.add_argument("--data", type=Path, default=Path("data/sentences.csv"), help="sentences CSV to update (default data/sentences.csv)")
    p.add_argument("--split", type=Path, default=Path("data/split.csv"), help="report split CSV to update (default data/split.csv; train and evaluate "
                        "read split.csv beside the sentences CSV)")
    p.add_argument("--force", action="store_true",
                   help="write even if labelled reports would disappear from the CSV (their report file is gone)")

    p = sub.add_parser("train", help="train a model on the labelled corpus",
                       description="Pick hyperparameters by cross-validation grouped by report on the train "
                                   "split, fit, score on the test split, and save the model and its card.")
    p.add_argument("--data", type=Path, default=Path("data/sentences.csv"), help="labelled sentences CSV; its train/test split is read from "
                        "split.csv beside it (default data/sentences.csv)")
    _model_arg(p)
    p.add_argument("--seed", type=int, default=0,
                   help="random seed, recorded in the card (every training step is deterministic; default 0)")
    p.add_argument("--no-search", action="store_true", help="skip the search; use the default hyperparameters")
    p.add_argument("--folds", type=_at_least_two, default=5,
                   help="cross-validation folds of the search (default 5; at least 2; lowered to the number "
                        "of train reports when there are fewer; unused with --no-search)")

    p = sub.add_parser("evaluate", help="score a model on a labelled CSV/JSONL",
                       description="PATH is a .csv or .jsonl with `text` and `label` columns (others ignored), "
                                   "or, with --split, the corpus CSV (data/sentences.csv).")
    p.add_argument("path", type=Path, metavar="PATH", help="labelled .csv or .jsonl file")
    _model_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text: a readable report; json: the metrics as one JSON object (default text)")
    p.add_argument("--text-column", default="text", help="column holding the text (default text)")
    p.add_argument("--label-column", default="label", help="column holding the gold label (default label)")
    p.add_argument("--split", choices=["train", "test"],
                   help="PATH is the corpus: score only this split of it (from split.csv beside it)")

    p = sub.add_parser("predict", help="classify statements",
                       description="Each TEXT argument is one statement; `-` or no TEXT reads standard input, "
                                   "one statement per line. With --article, each input is a whole report that is "
                                   "split into sentences with character offsets. Input columns whose names the "
                                   "output uses (text, label, scores, ...) are kept with an `input_` prefix.")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="statements (`-` for stdin)")
    p.add_argument("--input", type=Path, help="read .txt (one per line), .csv or .jsonl (`-`: standard input)")
    p.add_argument("--text-column", default="text", help="column holding the text in .csv/.jsonl (default text)")
    p.add_argument("--article", action="store_true", help="treat each input as a whole report (a .txt file is one report)")
    p.add_argument("--format", choices=["table", "csv", "jsonl"], default="table",
                   help="table: aligned columns for reading; csv or jsonl: one row per prediction with "
                        "all three scores, for other tools (default table)")
    p.add_argument("--output", type=Path,
                   help="write here instead of standard output (`-`: standard output); a regular file is written "
                        "to a temporary file and renamed into place, a link, FIFO or device is written in place")
    p.add_argument("--batch-size", type=_positive, default=1000, help=argparse.SUPPRESS)
    _model_arg(p)

    p = sub.add_parser("info", help="print the model card",
                       description="Print the model's card (the .json file of the same name beside the model) as JSON, "
                                   "after checking that the model file matches it.")
    _model_arg(p)

    p = sub.add_parser("serve", help="serve predictions over HTTP (FastAPI + uvicorn)",
                       description="Serve POST /v1/predict, POST /v1/analyze, GET /v1/model and GET /health.")
    _model_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    p.add_argument("--workers", type=_positive, default=1, help="worker processes (default 1)")
    p.add_argument("--max-texts", type=_positive, default=MAX_TEXTS, help=f"texts per request (default {MAX_TEXTS})")
    p.add_argument("--max-chars", type=_positive, default=MAX_CHARS, help=f"characters per text (default {MAX_CHARS})")
    p.add_argument("--max-body", type=_positive, default=MAX_BODY, help=f"request body bytes (default {MAX_BODY})")
    return parser


# ---- verbs ------------------------------------------------------------------------------

def cmd_data(args: argparse.Namespace) -> int:
    import pandas as pd

    from stance.data import (REQUIRED_COLUMNS, build_sentences, is_blank, load_split, make_split,
                             read_sentences_csv, validate_labels, write_csvs_atomic)
    if args.data.resolve() == args.split.resolve():
        raise DataError("--data and --split name the same file", file=args.data)
    if not args.reports.is_dir() or not any(args.reports.glob("*.txt")):
        raise DataError("no .txt reports here; nothing was written", file=args.reports)
    _check_writable(args.data, create_parent=True)
    _check_writable(args.split, create_parent=True)
    existing = None
    if args.data.exists():
        existing = read_sentences_csv(args.data)
        missing = [c for c in REQUIRED_COLUMNS if c not in existing.columns]
        if missing:
            raise DataError(f"missing column(s) {missing}; nothing was written", file=args.data)
        validate_labels(existing, file=args.data)
    frame = build_sentences(args.reports, existing)
    if existing is not None and not args.force:
        labelled = set(existing.loc[existing["label"] != "", "doc_id"])
        lost = sorted(labelled - set(frame["doc_id"]))
        if lost:
            raise DataError(f"labelled report(s) {lost[:5]} have no file in {args.reports}; nothing was "
                            f"written (use --force to drop them)", file=args.data)
    existing_split = load_split(args.split) if args.split.exists() else {}
    gone = sorted(set(existing_split) - set(frame["doc_id"]))
    split = make_split(frame["doc_id"], existing_split)
    write_csvs_atomic([(frame, args.data),
                       (pd.DataFrame(sorted(split.items()), columns=["doc_id", "split"]), args.split)])
    if gone:
        shown = ", ".join(gone[:10]) + (f" and {len(gone) - 10} more" if len(gone) > 10 else "")
        print(f"{args.split}: dropped the entries of {len(gone)} report(s) not in {args.reports}: {shown}",
              file=sys.stderr)
    unlabelled = sum(map(is_blank, frame["label"]))
    print(f"{args.data}: {len(frame)} sentences from {frame['doc_id'].nunique()} reports; "
          f"{unlabelled} need a label", file=sys.stderr)
    return 1 if unlabelled else 0


def cmd_train(args: argparse.Namespace) -> int:
    from stance import persist
    from stance.data import file_sha256, load_corpus
    from stance.train import train
    model = args.model or persist.default_model_path()
    persist.check_model_path(model)
    _check_writable(model, create_parent=True)
    corpus = load_corpus(args.data)  # with the split file beside it, if there is one
    split_file = args.data.parent / "split.csv"
    if not split_file.exists():
        print(f"stance train: warning: no split file {split_file} beside the corpus, so all {len(corpus)} "
              f"sentences are used for training and there are no test scores", file=sys.stderr)
    pipeline, card = train(corpus, seed=args.seed, search=not args.no_search, folds=args.folds,
                           data_path=args.data, data_sha256=file_sha256(args.data),
                           split_sha256=file_sha256(split_file) if split_file.exists() else None,
                           on_stage=lambda s: print(f"stance train: {s}…", file=sys.stderr))
    card = persist.save(pipeline, card, model)
    print(f"saved {model} (sha256 {card['model_sha256'][:12]}) and {persist.card_path(model)}")
    if card.get("cv_macro_f1") is not None:
        print(f"grouped CV macro-F1 {card['cv_macro_f1']:.3f} with {card['hyperparameters']}")
    if card.get("test_metrics"):
        print(f"test split macro-F1 {card['test_metrics']['macro_f1']:.3f} (n={card['test_metrics']['n']})")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from stance import load_model
    from stance.data import load_corpus, read_labelled
    from stance.evaluate import evaluate
    if args.split:
        if not (args.path.parent / "split.csv").exists():
            raise DataError("--split needs split.csv beside the corpus", file=args.path)
        corpus = load_corpus(args.path)
        frame = corpus[corpus["split"] == args.split]
    else:
        frame = read_labelled(args.path, args.text_column, args.label_column)
    if frame.empty:
        raise DataError("no labelled rows to evaluate", file=args.path)
    report = evaluate(load_model(args.model), frame)
    print(json.dumps(report.to_dict(), indent=2) if args.format == "json" else report.to_text())
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from stance import load_model
    print(json.dumps(load_model(args.model).card, indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from stance.api import serve
    serve(args.model, host=args.host, port=args.port, workers=args.workers,
          max_texts=args.max_texts, max_chars=args.max_chars, max_body=args.max_body)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    import pandas as pd

    from stance import load_model
    from stance.data import read_report, read_texts, split_lines
    to_stdout = args.output is None or str(args.output) in ("-", "/dev/stdout", "/dev/fd/1")
    if not to_stdout:
        _check_writable(args.output, create_parent=False)
    if args.input is not None and args.texts:
        raise DataError("give statements as arguments or --input FILE, not both")
    from_stdin = args.texts == ["-"] or (not args.texts and (args.input is None or str(args.input) == "-"))
    model = load_model(args.model)  # fail on a bad model before reading large input
    if from_stdin:
        raw = _read_stdin()
        texts = [raw] if args.article else [ln for ln in split_lines(raw) if ln.strip()]
        frame = pd.DataFrame({args.text_column: texts})
        source = "standard input"
    elif args.input is not None:
        if args.article and args.input.suffix.lower() in (".txt", ""):
            frame = pd.DataFrame({"source": [str(args.input)], args.text_column: [read_report(args.input)]})
        else:
            frame = read_texts(args.input, args.text_column)
        source = str(args.input)
    else:
        for i, t in enumerate(args.texts, start=1):
            if not t.strip():
                raise DataError(f"statement {i} is empty")
        frame = pd.DataFrame({args.text_column: args.texts})
        source = "the arguments"
    if frame.empty or not any(str(t).strip() for t in frame[args.text_column]):
        raise DataError(f"no statements to classify in {source}")
    rows = _predict_rows(model, frame, args.text_column, article=args.article, batch_size=args.batch_size)
    # errors="backslashreplace": a lone surrogate (valid in JSON input, not in UTF-8) is written
    # as its escape, which in JSONL output is the same JSON string
    if to_stdout or str(args.output) in _STD_STREAMS:
        stream = sys.stdout if to_stdout else sys.stderr
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
        _emit(rows, args.format, stream)
        return 0
    from stance.files import atomic_path
    try:
        with atomic_path(args.output) as tmp, open(tmp, "w", encoding="utf-8", errors="backslashreplace",
                                                   newline="") as fh:
            _emit(rows, args.format, fh)
    except BrokenPipeError:
        raise
    except OSError as exc:  # a full disk, a device that refuses the output ...
        raise DataError(f"cannot write the output: {exc.strerror or exc}", file=args.output) from exc
    return 0


def _read_stdin() -> str:
    """Standard input as UTF-8 text (a leading byte-order mark dropped), decoded strictly here:
    Python's own decoding of stdin would let bad bytes through as surrogates under a C locale."""
    buffer = getattr(sys.stdin, "buffer", None)
    data = buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"standard input is not UTF-8 text (byte {exc.start})") from exc


# Paths that name this process's own output streams: written to the stream, never replaced
# or reopened (reopening /dev/stdout would truncate the file the shell redirected it to).
_STD_STREAMS = ("/dev/stderr", "/dev/fd/2")


_OUTPUT_KEYS = {"text", "label", "scores", "doc", "sentence", "start", "end"} | {f"p_{lab}" for lab in LABELS}


def _input_columns(rec: dict, text_column: str) -> dict:
    """The record's other columns, renamed ``input_<name>`` where the output uses the name."""
    return {(f"input_{k}" if k in _OUTPUT_KEYS else k): v for k, v in rec.items() if k != text_column}


def _predict_rows(model: Any, frame: Any, text_column: str, *, article: bool, batch_size: int) -> Iterator[dict]:
    """Prediction rows, produced batch by batch so that output starts before the end of a large file."""
    from tqdm.auto import tqdm
    records = frame.to_dict(orient="records")
    if article:
        for i, rec in enumerate(tqdm(records, desc="articles", unit="doc", disable=None, leave=False)):
            analysis = model.analyze(str(rec[text_column]))
            extra = _input_columns(rec, text_column)
            for j, s in enumerate(analysis.sentences):
                yield {**extra, "doc": i, "sentence": j, **s.to_dict()}
        return
    with tqdm(total=len(records), desc="predict", unit="text", disable=None, leave=False) as bar:
        for lo in range(0, len(records), batch_size):
            chunk = records[lo:lo + batch_size]
            for rec, p in zip(chunk, model.predict([str(r[text_column]) for r in chunk])):
                yield {**_input_columns(rec, text_column), "text": rec[text_column], **p.to_dict()}
            bar.update(len(chunk))


def _flat(row: dict) -> dict:
    """A row for CSV: the scores as ``p_<label>`` columns, a missing or NaN input value empty."""
    out = {k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
           for k, v in row.items() if k != "scores"}
    out.update({f"p_{lab}": round(row["scores"][lab], 4) for lab in LABELS})
    return out


def _emit(rows: Iterable[dict], fmt: str, fh: TextIO) -> None:
    if fmt == "jsonl":
        # non-ASCII as is on a UTF-8 stream, else as JSON escapes (backslashreplace would write
        # Python's \U0001f600, which is not JSON)
        ascii_only = (getattr(fh, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "") != "utf8"
        for r in rows:
            fh.write(json.dumps(_json_safe(r), ensure_ascii=ascii_only, default=str, allow_nan=False) + "\n")
    elif fmt == "csv":
        writer = None
        for r in rows:
            flat = _flat(r)
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(flat), lineterminator="\n")
                writer.writeheader()
            writer.writerow(flat)
        if writer is None:  # no rows: still a header
            fh.write(",".join(["text", "label", *(f"p_{lab}" for lab in LABELS)]) + "\n")
    else:
        fh.write(f"{'label':<11} {'denial':>7} {'accus.':>7} {'neutral':>7}  text\n")
        for r in rows:
            s = r["scores"]
            text = " ".join(str(r["text"]).split())
            text = text if len(text) <= 100 else text[:99] + "…"
            fh.write(f"{r['label']:<11} {s['denial']:>7.3f} {s['accusation']:>7.3f} {s['neutral']:>7.3f}  {text}\n")


def _json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float, at any depth, made ``None``: an input column
    missing from some rows (pandas fills NaN) or holding NaN is written as null, since NaN is
    not JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _check_writable(path: Path, *, create_parent: bool) -> None:
    """Fail before long work if ``path`` cannot be written."""
    from stance.files import writes_in_place
    if str(path) in _STD_STREAMS:
        return
    if path.is_dir():
        raise DataError("is a directory, not a file", file=path)
    if writes_in_place(path):  # a link or a device: opened and written where it is
        if path.exists() and not os.access(path, os.W_OK):
            raise DataError("cannot write here (permission denied)", file=path)
        if not path.exists():
            raise DataError("is a link to nothing", file=path)
        return
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise DataError(f"{parent} is not a folder", file=path)
    if not parent.exists():
        if not create_parent:
            raise DataError(f"folder {parent} does not exist", file=path)
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"cannot create folder {parent}: {exc.strerror or exc}", file=path) from exc
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DataError("cannot write here (permission denied)", file=path)


VERBS = {"data": cmd_data, "train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
         "info": cmd_info, "serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stance`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return VERBS[args.verb](args)
    except StanceError as exc:
        print(f"stance {args.verb}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"stance {args.verb}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
