"""Reading and validating the corpus and input files; the report-grouped split."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from stance.errors import DataError
from stance.files import atomic_path, writes_in_place
from stance.labels import LABELS
from stance.text import normalize, split_sentences

DEFAULT_DATA = Path("data/sentences.csv")
DEFAULT_SPLIT = Path("data/split.csv")
REQUIRED_COLUMNS = ("id", "doc_id", "position", "start", "end", "text", "label", "hard_case")
TEST_FRACTION = 0.2
SPLIT_SEED = 13
SEED_REPORT = "seed-nk-arms-denial"  # the user's source document: always in the train split
MAX_OFFSET = 999_999_999  # the largest position, start or end accepted (a report of a billion characters)
_DIGITS = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit also takes "²" and "٣"

__all__ = [
    "DEFAULT_DATA", "DEFAULT_SPLIT", "REQUIRED_COLUMNS", "SEED_REPORT", "load_corpus", "validate_corpus",
    "validate_labels", "load_split", "make_split", "attach_split", "read_texts", "read_labelled",
    "build_sentences", "write_csv_atomic", "write_csvs_atomic", "file_sha256", "reports_dir_for", "read_report",
    "read_sentences_csv", "split_lines", "is_blank",
]


def file_sha256(path: str | Path) -> str:
    """sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reports_dir_for(data_path: str | Path) -> Path:
    """The report folder that belongs to a sentences file (``<dir>/reports``)."""
    return Path(data_path).parent / "reports"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError("file not found", file=path)
    if not path.is_file():
        raise DataError("not a file", file=path)


def split_lines(text: str) -> list[str]:
    """Lines split at "\\n" only (a trailing "\\r" dropped): not at the form feeds, U+2028 and
    the other breaks that ``str.splitlines`` also honours, which may sit inside a statement or,
    unescaped, inside a JSON string."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _read_text(path: Path) -> str:
    """A file's UTF-8 text (a leading byte-order mark dropped); a :class:`DataError` naming the
    file and byte if it is not UTF-8."""
    _check_file(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", file=path) from exc


def _read_csv(path: Path) -> pd.DataFrame:
    _check_file(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", file=path) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError("not a readable CSV (the file is empty)", file=path) from exc
    except pd.errors.ParserError as exc:
        raise _csv_problem(path, " ".join(str(exc).split())) from exc
    if not isinstance(frame.index, pd.RangeIndex):  # every row had a field more than the header
        raise _csv_problem(path, "more fields than the header")
    return frame


def _csv_problem(path: Path, message: str) -> DataError:
    """A one-line error for a CSV that pandas cannot read, at the data row it is in.

    pandas counts "lines" its own way (records plus blank lines), so the file is read again with
    :mod:`csv` to find the first row with more fields than the header, or the row whose quoted
    field is never closed. The row's first line in the file is given too."""
    message = message.removeprefix("Error tokenizing data. C error: ")
    width, row, start, last, prev = None, 0, 0, None, 0
    try:
        reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if not record:  # a blank line, which pandas skips
                continue
            if width is None:
                width = len(record)
                continue
            row += 1
            last = (row, start)
            if len(record) > width:
                return DataError(f"{len(record)} fields but the header has {width} (the row starts on line "
                                 f"{start} of the file)", file=path, row=row)
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    if last is not None and message.startswith("EOF inside string"):
        return DataError(f"a quoted field is not closed before the end of the file (the row starts on line "
                         f"{last[1]} of the file)", file=path, row=last[0])
    return DataError(f"not a readable CSV ({message})", file=path)


def read_sentences_csv(path: str | Path) -> pd.DataFrame:
    """A sentences CSV read as strings, unvalidated; a :class:`DataError` naming the file if it
    is missing or not a readable UTF-8 CSV."""
    return _read_csv(Path(path))


def validate_corpus(frame: pd.DataFrame, *, file: str | Path = "<corpus>",
                    reports_dir: str | Path | None = None) -> pd.DataFrame:
    """Check a sentences table and return it typed; raise :class:`DataError` on the first problem.

    Checks required columns, known labels, unique ids, non-empty text, integer offsets that match
    the report text (when ``reports_dir`` is given) and no duplicate sentences (normalised text).
    Rows are numbered as data rows from 1 (the header is not counted).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing required column(s) {missing}", file=file)
    frame = frame.copy()
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        if not str(row.text).strip():
            raise DataError("empty text", file=file, row=i, field="text")
        _check_label(row.label, file=file, row=i, field="label")
        for field in ("position", "start", "end"):
            value = str(getattr(row, field))
            if not _DIGITS.fullmatch(value):
                raise DataError(f"expected a non-negative integer, got {value!r}", file=file, row=i, field=field)
            if int(value) > MAX_OFFSET:
                raise DataError(f"{value} is too large (at most {MAX_OFFSET})", file=file, row=i, field=field)
        _check_hard_case(row.hard_case, file=file, row=i)
    dup_ids = frame["id"].duplicated(keep="first")
    if dup_ids.any():
        i = int(dup_ids.to_numpy().nonzero()[0][0]) + 1
        raise DataError(f"duplicate id {frame['id'].iloc[i - 1]!r}", file=file, row=i, field="id")
    keys = frame["text"].map(_dup_key)
    dup_text = keys.duplicated(keep="first")
    if dup_text.any():
        i = int(dup_text.to_numpy().nonzero()[0][0]) + 1
        first = int((keys == keys.iloc[i - 1]).to_numpy().nonzero()[0][0]) + 1
        raise DataError(f"duplicate sentence (same normalised text as row {first})", file=file, row=i, field="text")
    for field in ("position", "start", "end"):
        frame[field] = frame[field].astype(int)
    if reports_dir is not None:
        _check_offsets(frame, Path(reports_dir), file)
    return frame


def is_blank(value: object) -> bool:
    """An empty cell: ``None``, NaN (a JSONL record without the key) or a blank string."""
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str)
                                                                             and not value.strip())


def _check_label(value: object, *, file: str | Path, row: int, field: str) -> None:
    """Raise a :class:`DataError` unless ``value`` is one of :data:`LABELS`."""
    if is_blank(value):
        raise DataError("has no label", file=file, row=row, field=field)
    if value not in LABELS:
        raise DataError(f"unknown label {value!r}; expected one of {list(LABELS)}", file=file, row=row, field=field)


def _check_hard_case(value: object, *, file: str | Path, row: int) -> None:
    """Raise a :class:`DataError` unless ``value`` is empty or a hard-case number 1-14 in ASCII digits."""
    hard = str(value).strip()
    if hard and not (_DIGITS.fullmatch(hard) and len(hard) <= 2 and 1 <= int(hard) <= 14):
        raise DataError(f"hard_case must be empty or 1-14, got {hard!r}", file=file, row=row, field="hard_case")


def validate_labels(frame: pd.DataFrame, *, file: str | Path = "<corpus>") -> None:
    """Check the ``label`` and ``hard_case`` of every row of a sentences table that may still have
    unlabelled rows (what ``stance data`` carries forward); raise :class:`DataError` on the first
    bad one. An empty label is allowed; rows are numbered as data rows from 1."""
    for i, (label, hard) in enumerate(zip(frame["label"], frame["hard_case"]), start=1):
        if not is_blank(label):
            _check_label(label, file=file, row=i, field="label")
        _check_hard_case(hard, file=file, row=i)


def _dup_key(text: str) -> str:
    return "".join(ch for ch in normalize(text) if ch.isalnum() or ch == " ")


def _check_offsets(frame: pd.DataFrame, reports_dir: Path, file: str | Path) -> None:
    cache: dict[str, str] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        if row.doc_id not in cache:
            report = reports_dir / f"{row.doc_id}.txt"
            if not report.exists():
                raise DataError(f"report {report} not found", file=file, row=i, field="doc_id")
            cache[row.doc_id] = _read_text(report)
        if cache[row.doc_id][row.start:row.end] != row.text:
            raise DataError(f"offsets {row.start}:{row.end} do not match the text in {row.doc_id}.txt",
                            file=file, row=i, field="start")


def load_split(path: str | Path = DEFAULT_SPLIT) -> dict[str, str]:
    """Read the recorded report split: ``doc_id -> "train" | "test"``.

    Each report is listed once, with ``train`` or ``test``; the seed report must be ``train``.
    Entries for reports that are not in the corpus are returned too (the caller ignores them).
    """
    frame = _read_csv(Path(path))
    for col in ("doc_id", "split"):
        if col not in frame.columns:
            raise DataError(f"missing required column {col!r}", file=path)
    split: dict[str, str] = {}
    first: dict[str, int] = {}
    for i, (doc, value) in enumerate(zip(frame["doc_id"], frame["split"]), start=1):
        if not doc.strip():
            raise DataError("empty report id", file=path, row=i, field="doc_id")
        if doc in first:
            raise DataError(f"report {doc!r} is listed again (first at row {first[doc]}); list each report once",
                            file=path, row=i, field="doc_id")
        if value not in ("train", "test"):
            raise DataError("split must be 'train' or 'test'", file=path, row=i, field="split")
        if doc == SEED_REPORT and value != "train":
            raise DataError(f"the seed report {SEED_REPORT!r} always trains; it cannot be in test",
                            file=path, row=i, field="split")
        first[doc], split[doc] = i, value
    return split


def make_split(doc_ids: Iterable[str], existing: dict[str, str] | None = None, *,
               test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED,
               train_only: Iterable[str] = (SEED_REPORT,)) -> dict[str, str]:
    """Assign reports to train/test deterministically, keeping existing assignments.

    New reports are sorted by a seeded hash of their id and then shuffled by ``random.Random(seed)``,
    so their order depends only on which reports are new, not on the order given; in that order they
    fill test places until the test share of all reports is ``test_fraction`` (rounded), and the
    rest train. Reports in ``train_only`` (the seed report) always train and take no test place.
    """
    existing = dict(existing or {})
    docs = sorted(set(doc_ids))
    split = {d: existing[d] for d in docs if d in existing}
    new = [d for d in docs if d not in split]
    fixed = set(train_only)
    rng = random.Random(seed)
    new.sort(key=lambda d: hashlib.sha256(f"{seed}:{d}".encode()).hexdigest())
    rng.shuffle(new)
    want_test = round(test_fraction * len(docs)) - sum(1 for v in split.values() if v == "test")
    for d in new:
        if d not in fixed and want_test > 0:
            split[d] = "test"
            want_test -= 1
        else:
            split[d] = "train"
    return split


def attach_split(frame: pd.DataFrame, split: dict[str, str], *, file: str | Path = "<corpus>") -> pd.DataFrame:
    """Add a ``split`` column from a report split; every report must be assigned."""
    missing = sorted(set(frame["doc_id"]) - set(split))
    if missing:
        raise DataError(f"report(s) not in the split file: {missing[:5]}; run `stance data`", file=file, field="doc_id")
    frame = frame.copy()
    frame["split"] = frame["doc_id"].map(split)
    return frame


def load_corpus(path: str | Path = DEFAULT_DATA, *, split_path: str | Path | None = None,
                check_offsets: bool = True) -> pd.DataFrame:
    """Load and validate the labelled corpus, with a ``split`` column (train/test by report).

    ``split_path`` defaults to ``split.csv`` beside the corpus; when it does not exist, every
    row is ``train``. Offsets are checked against ``reports/`` beside the corpus when it exists.
    """
    path = Path(path)
    frame = _read_csv(path)
    reports = reports_dir_for(path)
    frame = validate_corpus(frame, file=path, reports_dir=reports if check_offsets and reports.is_dir() else None)
    split_file = Path(split_path) if split_path is not None else path.parent / "split.csv"
    if split_file.exists():
        return attach_split(frame, load_split(split_file), file=split_file)
    frame["split"] = "train"
    return frame


# ---- input files for predict / evaluate -------------------------------------------------

def _read_table(path: Path, text_column: str) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = _read_csv(path)
    elif suffix in (".jsonl", ".ndjson"):
        rows, lines = [], []
        for i, line in enumerate(split_lines(_read_text(path)), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON ({exc.msg})", file=path, row=i) from exc
            except (ValueError, RecursionError) as exc:  # integers over 4,300 digits, deep nesting
                raise DataError(f"invalid JSON ({'nested too deeply' if isinstance(exc, RecursionError) else exc})",
                                file=path, row=i) from exc
            if not isinstance(obj, dict):
                raise DataError("each line must be a JSON object", file=path, row=i)
            rows.append(obj)
            lines.append(i)
        frame = pd.DataFrame(rows, dtype=object)  # keeps ints as ints where some rows lack the key
        frame.attrs["rows"] = lines  # the line each record came from, for error messages
    else:
        raise DataError("unsupported file type; use .csv, .jsonl or .txt", file=path)
    if frame.empty and not len(frame.columns):
        raise DataError("no records in the file", file=path)
    if text_column not in frame.columns:
        raise DataError(f"no column {text_column!r} (columns: {list(frame.columns)})", file=path, field=text_column)
    return frame


def read_texts(path: str | Path, text_column: str = "text") -> pd.DataFrame:
    """Read statements to classify: ``.txt`` (one per non-empty line), ``.csv`` or ``.jsonl``.

    Returns a frame with all the file's columns; the statements are in ``text_column``.
    """
    path = Path(path)
    if path.suffix.lower() == ".txt" or path.suffix == "":
        lines = split_lines(_read_text(path))
        return pd.DataFrame({text_column: [ln for ln in lines if ln.strip()]})
    frame = _read_table(path, text_column)
    rows = frame.attrs.get("rows") or range(1, len(frame) + 1)
    for i, value in zip(rows, frame[text_column]):
        if not isinstance(value, str) or not value.strip():
            raise DataError("empty or non-text value", file=path, row=i, field=text_column)
    return frame


def read_report(path: str | Path) -> str:
    """Read one whole report (UTF-8 text)."""
    return _read_text(Path(path))


def read_labelled(path: str | Path, text_column: str = "text", label_column: str = "label") -> pd.DataFrame:
    """Read a labelled CSV/JSONL for evaluation: ``text`` and ``label`` columns, known labels."""
    path = Path(path)
    frame = read_texts(path, text_column)
    if label_column not in frame.columns:
        raise DataError(f"no column {label_column!r}", file=path, field=label_column)
    rows = frame.attrs.get("rows") or range(1, len(frame) + 1)
    for i, value in zip(rows, frame[label_column]):
        _check_label(value, file=path, row=i, field=label_column)
    return frame.rename(columns={text_column: "text", label_column: "label"})


# ---- regenerating the sentence rows ----------------------------------------------------

def build_sentences(reports_dir: str | Path, existing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Split every report into sentence rows, keeping labels of sentences already labelled.

    A label is kept when the same report has a sentence with the same normalised text.
    Sentences with no known label get an empty label (to be labelled before training). A report
    with no sentence (empty, or holding no words) is a :class:`DataError`.
    """
    reports_dir = Path(reports_dir)
    known: dict[tuple[str, str], tuple[str, str]] = {}
    if existing is not None:
        for row in existing.itertuples(index=False):
            known[(row.doc_id, normalize(row.text))] = (row.label, str(row.hard_case))
    rows = []
    for report in sorted(reports_dir.glob("*.txt")):
        sentences = split_sentences(_read_text(report))
        if not sentences:
            raise DataError("no sentences in this report (it is empty, or holds no words); give it text or "
                            "remove it", file=report)
        for pos, sent in enumerate(sentences):
            label, hard = known.get((report.stem, normalize(sent.text)), ("", ""))
            rows.append({"id": f"{report.stem}:{pos}", "doc_id": report.stem, "position": pos,
                         "start": sent.start, "end": sent.end, "text": sent.text,
                         "label": label, "hard_case": hard})
    return pd.DataFrame(rows, columns=list(REQUIRED_COLUMNS))


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV to a temporary file beside ``path``, then rename it into place (never half-written)."""
    write_csvs_atomic([(frame, path)])


def write_csvs_atomic(outputs: Sequence[tuple[pd.DataFrame, str | Path]]) -> None:
    """Write each frame as a CSV to a temporary file beside its path and rename them all into place
    only once every one is written: a failure while writing leaves every file as it was. A path
    that :func:`~stance.files.writes_in_place` (a link, a FIFO) is written in place, and so cannot
    be rolled back: such paths are written last, once every temporary file is written. An
    ``OSError`` (a full disk) becomes a :class:`DataError` naming the file."""
    target: str | Path | None = None
    ordered = sorted(outputs, key=lambda output: writes_in_place(output[1]))  # stable: in-place last
    try:
        with contextlib.ExitStack() as stack:
            for frame, target in ordered:
                tmp = stack.enter_context(atomic_path(target))
                frame.to_csv(tmp, index=False, quoting=csv.QUOTE_MINIMAL, encoding="utf-8", lineterminator="\n")
            target = None  # all written; leaving the stack renames them
    except OSError as exc:
        where = target if target is not None else ", ".join(str(path) for _, path in outputs)
        raise DataError(f"cannot write: {exc.strerror or exc}", file=where) from exc
