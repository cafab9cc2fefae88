"""Errors the package raises; the CLI maps them to one line and exit code 2, HTTP to 4xx."""

from __future__ import annotations

from pathlib import Path


class StanceError(Exception):
    """Base class of every error stance reports to a user."""


class DataError(StanceError):
    """Bad input data, located by file, row (1-based data row) and field when known."""

    def __init__(self, message: str, *, file: str | Path | None = None,
                 row: int | None = None, field: str | None = None) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        self.message = message
        where = []
        if self.file:
            where.append(self.file)
        if row is not None:
            where.append(f"row {row}")
        if field:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ModelError(StanceError):
    """A model file that is missing, tampered with, or incompatible."""
