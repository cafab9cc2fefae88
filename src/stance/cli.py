"""The ``stance`` command line. Each verb parses arguments, calls one function, prints."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from stance.errors import StanceError
from stance.labels import LABELS

__all__ = ["main", "build_parser"]

EXIT_USER_ERROR = 2


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, default=None,
                   help="model file (default: $STANCE_MODEL or models/stance.joblib)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stance",
        description="Tell, sentence by sentence, whether news text denies, accuses or is neutral.",
        epilog="Run `stance VERB --help` for the options of each verb.")
    from stance import __version__
    parser.add_argument("--version", action="version", version=f"stance {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser("data", help="regenerate data/sentences.csv from data/reports/, keeping labels",
                       description="Split every report in REPORTS into sentences (the splitter prediction "
                                   "uses), keep the labels of sentences already labelled, and assign new "
                                   "reports to the train/test split. New sentences get an empty label.")
    p.add_argument("--reports", type=Path, default=Path("data/reports"), help="folder of .txt reports")
    p.add_argument("--data", type=Path, default=Path("data/sentences.csv"), help="sentences CSV to update")
    p.add_argument("--split", type=Path, default=Path("data/split.csv"), help="report split CSV to update")

    p = sub.add_parser("train", help="train a model on the labelled corpus",
                       description="Pick hyperparameters by cross-validation grouped by report on the train "
                                   "split, fit, score on the test split, and save the model and its card.")
    p.add_argument("--data", type=Path, default=Path("data/sentences.csv"), help="labelled sentences CSV")
    p.add_argument("--model", type=Path, default=Path("models/stance.joblib"), help="where to save the model")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-search", action="store_true", help="skip the search; use the default hyperparameters")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")

    p = sub.add_parser("evaluate", help="score a model on a labelled CSV/JSONL",
                       description="PATH is a .csv or .jsonl with `text` and `label` columns (others ignored).")
    p.add_argument("path", type=Path, help="labelled file")
    _model_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--split", choices=["train", "test"],
                   help="PATH is the corpus (data/sentences.csv): score only this split of it")

    p = sub.add_parser("predict", help="classify statements",
                       description="Each TEXT argument is one statement; `-` or no TEXT reads standard input, "
                                   "one statement per line. With --article, each input is a whole report that is "
                                   "split into sentences with character offsets.")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="statements (`-` for stdin)")
    p.add_argument("--input", type=Path, help="read .txt (one per line), .csv or .jsonl")
    p.add_argument("--text-column", default="text", help="column holding the text in .csv/.jsonl (default text)")
    p.add_argument("--article", action="store_true", help="treat each input as a whole report (a .txt file is one report)")
    p.add_argument("--format", choices=["table", "csv", "jsonl"], default="table")
    p.add_argument("--output", type=Path, help="write here instead of standard output")
    p.add_argument("--batch-size", type=int, default=1000, help=argparse.SUPPRESS)
    _model_arg(p)

    p = sub.add_parser("info", help="print the model card")
    _model_arg(p)

    p = sub.add_parser("serve", help="serve predictions over HTTP (FastAPI + uvicorn)",
                       description="Serve POST /v1/predict, POST /v1/analyze, GET /v1/model and GET /health.")
    _model_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--max-texts", type=int, default=1000, help="texts per request (default 1000)")
    p.add_argument("--max-chars", type=int, default=20000, help="characters per text (default 20000)")
    p.add_argument("--max-body", type=int, default=10_000_000, help="request body bytes (default 10 MB)")
    return parser


# ---- verbs ------------------------------------------------------------------------------

def cmd_data(args: argparse.Namespace) -> int:
    import pandas as pd

    from stance.data import build_sentences, load_split, make_split, write_csv_atomic
    existing = pd.read_csv(args.data, dtype=str, keep_default_na=False) if args.data.exists() else None
    frame = build_sentences(args.reports, existing)
    split = make_split(frame["doc_id"], load_split(args.split) if args.split.exists() else None)
    write_csv_atomic(frame, args.data)
    write_csv_atomic(pd.DataFrame(sorted(split.items()), columns=["doc_id", "split"]), args.split)
    unlabelled = int((frame["label"] == "").sum())
    print(f"{args.data}: {len(frame)} sentences from {frame['doc_id'].nunique()} reports; "
          f"{unlabelled} need a label", file=sys.stderr)
    return 1 if unlabelled else 0


def cmd_train(args: argparse.Namespace) -> int:
    from stance import persist
    from stance.data import file_sha256, load_corpus
    from stance.train import train
    _check_writable(args.model)
    corpus = load_corpus(args.data)
    pipeline, card = train(corpus, seed=args.seed, search=not args.no_search, folds=args.folds,
                           data_path=args.data, data_sha256=file_sha256(args.data),
                           on_stage=lambda s: print(f"stance train: {s}…", file=sys.stderr))
    card = persist.save(pipeline, card, args.model)
    print(f"saved {args.model} (sha256 {card['model_sha256'][:12]}) and {persist.card_path(args.model)}")
    if card.get("cv_macro_f1") is not None:
        print(f"grouped CV macro-F1 {card['cv_macro_f1']:.3f} with {card['hyperparameters']}")
    if card.get("test_metrics"):
        print(f"test split macro-F1 {card['test_metrics']['macro_f1']:.3f} "
              f"(n={card['test_metrics']['n']})")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from stance import load_model
    from stance.data import read_labelled
    from stance.evaluate import evaluate
    if args.split:
        from stance.data import load_corpus
        corpus = load_corpus(args.path)
        frame = corpus[corpus["split"] == args.split]
    else:
        frame = read_labelled(args.path, args.text_column, args.label_column)
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
    from stance.data import read_texts
    from stance.errors import DataError
    if args.output is not None:
        _check_writable(args.output)
    if args.input is not None and args.texts:
        raise DataError("give statements as arguments or --input FILE, not both")
    model = load_model(args.model)  # fail on a bad model before reading large input
    if args.input is not None:
        if args.article and args.input.suffix.lower() in (".txt", ""):
            frame = pd.DataFrame({"source": [str(args.input)],
                                  args.text_column: [args.input.read_text(encoding="utf-8")]})
        else:
            frame = read_texts(args.input, args.text_column)
    else:
        texts = args.texts if args.texts and args.texts != ["-"] else None
        if texts is None:
            raw = sys.stdin.read()
            texts = [raw] if args.article else [ln for ln in raw.splitlines() if ln.strip()]
        frame = pd.DataFrame({args.text_column: texts})
    rows = _predict_rows(model, frame, args.text_column, article=args.article, batch_size=args.batch_size)
    _write_rows(rows, args.format, args.output)
    return 0


def _predict_rows(model: Any, frame: Any, text_column: str, *, article: bool, batch_size: int) -> list[dict]:
    from tqdm.auto import tqdm
    records = frame.to_dict(orient="records")
    rows: list[dict] = []
    if article:
        for i, rec in enumerate(tqdm(records, desc="articles", unit="doc", disable=None, leave=False)):
            analysis = model.analyze(str(rec[text_column]))
            extra = {k: v for k, v in rec.items() if k != text_column}
            for j, s in enumerate(analysis.sentences):
                rows.append({**extra, "doc": i, "sentence": j, **s.to_dict()})
        return rows
    bar = tqdm(total=len(records), desc="predict", unit="text", disable=None, leave=False)
    with bar:
        for lo in range(0, len(records), batch_size):
            chunk = records[lo:lo + batch_size]
            preds = model.predict([str(r[text_column]) for r in chunk])
            for rec, p in zip(chunk, preds):
                extra = {k: v for k, v in rec.items() if k != text_column}
                rows.append({**extra, "text": rec[text_column], **p.to_dict()})
            bar.update(len(chunk))
    return rows


def _flat(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k != "scores"}
    out.update({f"p_{lab}": round(row["scores"][lab], 4) for lab in LABELS})
    return out


def _write_rows(rows: list[dict], fmt: str, output: Path | None) -> None:
    def emit(fh: TextIO) -> None:
        if fmt == "jsonl":
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            import pandas as pd
            pd.DataFrame([_flat(r) for r in rows]).to_csv(fh, index=False, lineterminator="\n")
        else:
            fh.write(_table(rows))

    if output is None:
        emit(sys.stdout)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            emit(fh)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _table(rows: list[dict]) -> str:
    head = f"{'label':<11} {'denial':>7} {'accus.':>7} {'neutral':>7}  text\n"
    lines = []
    for r in rows:
        s = r["scores"]
        text = " ".join(str(r["text"]).split())
        text = text if len(text) <= 100 else text[:99] + "…"
        lines.append(f"{r['label']:<11} {s['denial']:>7.3f} {s['accusation']:>7.3f} {s['neutral']:>7.3f}  {text}\n")
    return head + "".join(lines)


def _check_writable(path: Path) -> None:
    """Fail before long work if ``path`` cannot be written."""
    from stance.errors import DataError
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise DataError("is a directory, not a file", file=path)
    if not parent.exists():
        parent.mkdir(parents=True, exist_ok=True)
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
