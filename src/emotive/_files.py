"""One way to write a file or a folder atomically: aside, flushed to disk, then renamed.

Every layer uses it (models, training, backends, io); ``emotive.io`` re-exports it.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_write(folder / "out.txt") as fh:
...     _ = fh.write("done")
>>> (folder / "out.txt").read_text()
'done'
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def partial_name(path: Path) -> Path:
    """Where ``path`` is written before it is complete: ``.name.partial`` beside it."""
    return path.with_name(f".{path.name}.partial")


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, fsync: bool = True) -> Iterator[Path]:
    """Yield a side path to write a file or a folder at; on success it replaces ``path``.

    On an exception the side path is removed and ``path`` is left as it was. With
    ``fsync`` the data reach the disk before the rename, so a power loss leaves either
    the old or the new content, never a torn one.
    """
    target = Path(path)
    tmp = partial_name(target)
    _remove(tmp)
    try:
        yield tmp
        if fsync:
            _sync(tmp)
        if target.is_dir() and tmp.is_dir():
            old = target.with_name(f".{target.name}.old")
            _remove(old)
            os.replace(target, old)
            os.replace(tmp, target)
            _remove(old)
        else:
            os.replace(tmp, target)
        if fsync:
            sync_dir(target.parent)
    finally:
        _remove(tmp)


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", *, fsync: bool = True,
                 **open_args: Any) -> Iterator[IO[Any]]:
    """Open a side file for writing; it replaces ``path`` only when the block succeeds."""
    if "b" not in mode:
        open_args.setdefault("encoding", "utf-8")
    with atomic_path(path, fsync=fsync) as tmp, open(tmp, mode, **open_args) as fh:
        yield fh


def sync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (a rename) to disk where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sync(path: Path) -> None:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for p in files:
        with open(p, "rb+") as fh:
            os.fsync(fh.fileno())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
