"""Uploaded articles (/add): a safe file name that keeps its letters, no silent overwrite, nothing
saved that has nothing to index.

A replaced article is moved to seeds/.replaced/ with a timestamp; the article scan skips hidden
folders, so it stays recoverable without being indexed twice."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from footnote.atomic import publish
from footnote.corpus import ARTICLE_SUFFIXES, ArticleError, read_article
from footnote.settings import Settings

MAX_NAME_BYTES = 120  # well under the 255 of most file systems, leaving room for the .replaced/ timestamp
REPLACED_DIR = ".replaced"
STAGING_DIR = ".incoming"
# Characters Windows, macOS or a shell treat specially; path separators above all.
_RESERVED = set('<>:"/\\|?*')
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


class UploadRefused(ValueError):
    """The upload is not saved; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class Saved:
    name: str  # path under seeds/
    replaced: str | None = None  # where the previous version went, under seeds/


def safe_name(filename: str) -> str:
    """The upload's name as stored: NFC, no path, control or reserved characters, whitespace as "-",
    no leading dot, lower-case suffix. Letters of every script are kept."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    stem, suffix = os.path.splitext(name)
    suffix = suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise UploadRefused(f"{name}: only {', '.join(ARTICLE_SUFFIXES)} articles can be added")
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in stem
        if ch.isspace() or (ch not in _RESERVED and not unicodedata.category(ch).startswith("C"))
    )
    stem = re.sub(r"\s+", "-", kept.strip()).lstrip(".-").rstrip(". ")
    if not stem:
        raise UploadRefused(f"{name}: the name has no letters or digits left once made safe: rename the file")
    if stem.lower() in _WINDOWS_DEVICES:
        stem += "-article"
    size = len((stem + suffix).encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise UploadRefused(
            f"{stem}{suffix}: the name is {size} bytes, over the {MAX_NAME_BYTES}-byte limit: shorten it"
        )
    return stem + suffix


def _same_name(seeds: Path, name: str) -> Path | None:
    """An article already in seeds/ whose name differs from `name` at most in case or Unicode form:
    on a case-insensitive file system (or to a reader) they are the same file."""
    key = unicodedata.normalize("NFC", name).casefold()
    if not seeds.is_dir():
        return None
    return next(
        (p for p in seeds.iterdir() if p.is_file() and unicodedata.normalize("NFC", p.name).casefold() == key), None
    )


def save_upload(settings: Settings, filename: str, data: bytes, replace: bool = False) -> Saved:
    """Save an upload under seeds/ once it is known to hold sentences; raise UploadRefused otherwise."""
    name = safe_name(filename)
    if len(data) > settings.max_article_bytes:
        raise UploadRefused(
            f"{name}: {len(data) / 1e6:.1f} MB is over the {settings.max_article_bytes / 1e6:.0f} MB limit"
        )
    seeds = settings.seeds_dir
    existing = _same_name(seeds, name)
    if existing is not None and not replace:
        raise UploadRefused(
            f"{name}: an article named {existing.name} already exists: "
            "add it again with replace set to True to replace it (the old one is kept in "
            f"seeds/{REPLACED_DIR}/), or rename the file"
        )
    staging = seeds / STAGING_DIR
    staging.mkdir(parents=True, exist_ok=True)
    staged = staging / name
    staged.write_bytes(data)
    try:
        read_article(staged, staging, settings.max_article_bytes)  # the reader the index uses
    except ArticleError as exc:
        staged.unlink(missing_ok=True)
        raise UploadRefused(str(exc).replace(", skipped", ", not added")) from None
    replaced = None
    if existing is not None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        backup = seeds / REPLACED_DIR / f"{stamp}-{existing.name}"
        backup.parent.mkdir(exist_ok=True)
        shutil.move(existing, backup)
        replaced = backup.relative_to(seeds).as_posix()
    publish(staged, seeds / name)
    return Saved(name, replaced)
