"""Atomic replacement of a file or a folder: a reader sees the old one or the new one, never a torn one.

One policy for every writer: the new bytes reach the disk (fsync) before the rename, and the rename
reaches the disk (fsync of the folder) before we return, so a crash or a power cut leaves one of the two."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """A temporary path beside `target` to write; when the block ends without error it replaces `target`.

    The temporary name starts with a dot, so a folder reader that skips hidden files never sees it.
    `mode`: mkstemp makes files 0600, but the bot may run as another user than `index`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        publish(tmp, target, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def publish(tmp: Path, target: Path, mode: int = 0o644) -> None:
    """Put a file written in full (on the same file system) in place of `target`; for a caller whose
    temporary file needs a name of its own, e.g. to be read as its kind of article first."""
    _fsync(tmp)
    os.chmod(tmp, mode)
    os.replace(tmp, target)
    _fsync(target.parent)


def write_bytes(target: Path, data: bytes, mode: int = 0o644) -> None:
    with replacing(target, mode) as tmp:
        tmp.write_bytes(data)


def replace_dir(tmp: Path, target: Path) -> None:
    """Put the folder `tmp`, written in full beside `target`, in its place.

    os.replace cannot overwrite a non-empty folder, so the old one is moved aside first and removed after;
    callers that may race hold a lock (the model build does)."""
    for path in sorted(tmp.rglob("*"), reverse=True):  # files before the folders that hold them
        _fsync(path)
    _fsync(tmp)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    _fsync(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's contents to disk (any descriptor of it will do on POSIX)."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
