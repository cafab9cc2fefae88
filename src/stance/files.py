"""Atomic file writing: write to a temporary file beside the target, then rename it into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["temp_beside", "publish", "atomic_path", "writes_in_place"]


def temp_beside(path: Path) -> Path:
    """A new empty temporary file in ``path``'s folder (same file system, so renames are atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def publish(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the usual permissions (mkstemp makes it 0600) and rename it to ``path``."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def writes_in_place(path: str | Path) -> bool:
    """Whether output to ``path`` is written in place rather than atomically: ``path`` is a
    symbolic link (the kernel follows it on open, with its usual protections, as the shell's
    ``>`` does) or exists and is not a regular file (a FIFO, ``/dev/null``, a terminal), which a
    rename would replace with a file."""
    path = Path(path)
    return path.is_symlink() or (path.exists() and not path.is_file())


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``, on failure it is removed.

    Where :func:`writes_in_place` holds, ``path`` itself is yielded and written in place."""
    path = Path(path)
    if writes_in_place(path):
        yield path
        return
    tmp = temp_beside(path)
    try:
        yield tmp
        publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
