"""The catalog: every indexed article's title, date, file stamp and sentences, kept beside the vectors.

It is the index's source of truth for text and offsets, written atomically after each batch so a kill
never leaves it half-written, and it tells `ask` whether seeds/ changed since the last index run."""

from __future__ import annotations

import json
import os
import sys
import zlib
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from footnote.atomic import replacing
from footnote.corpus import Article, Sentence

# 2: units carry their section and page; Markdown/HTML text is the visible text. 3: list items whole.
CATALOG_VERSION = 3


class IndexCorrupt(RuntimeError):
    """index/ cannot be read or was written by another version; the message says what to do."""


@dataclass(slots=True)
class Entry:
    source: str
    title: str
    date: str | None
    digest: str
    stamp: list[int]  # [mtime_ns, size] of the file when indexed: a cheap staleness check
    sentences: list[Sentence]

    @classmethod
    def from_article(cls, article: Article, stamp: list[int]) -> Entry:
        return cls(article.source, article.title, article.date, article.digest, stamp, list(article.sentences))


@dataclass
class Catalog:
    path: Path
    embed_model: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)
    indexed_at: float = 0.0
    # Files that could not be read, with their stamps: not retried (nor stale) until they change.
    failed: dict[str, list[int]] = field(default_factory=dict)
    # Where each entry's JSON sits in the file this object last wrote: the next save copies unchanged
    # entries' bytes from there instead of encoding them again (see save).
    _written: dict[str, tuple[Entry, int, int, int]] = field(default_factory=dict, repr=False, compare=False)
    _written_file: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, index_dir: Path, embed_model: str) -> Catalog:
        """The catalog under index_dir; empty when none exists yet. Raises IndexCorrupt when unreadable."""
        path = index_dir / "catalog.json"
        if not path.exists():
            return cls(path, embed_model)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != CATALOG_VERSION:
                raise IndexCorrupt(
                    f"{path} is from another Footnote version ({raw.get('version')}): "
                    "run `python bot.py index --rebuild`"
                )
            entries = {
                src: Entry(
                    src,
                    e["title"],
                    e["date"],
                    e["digest"],
                    e["stamp"],
                    [Sentence(*row[:5], sys.intern(row[5]), row[6]) for row in e["sentences"]],
                )
                for src, e in raw["entries"].items()
            }
            return cls(path, raw.get("embed_model", ""), entries, raw.get("indexed_at", 0.0), raw.get("failed", {}))
        except IndexCorrupt:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(
                f"{path} is unreadable ({exc.__class__.__name__}): run `python bot.py index --rebuild`"
            ) from exc

    @staticmethod
    def _encode(entry: Entry) -> bytes:
        return json.dumps(
            {
                "title": entry.title,
                "date": entry.date,
                "digest": entry.digest,
                "stamp": entry.stamp,
                "sentences": [[s.n, s.start, s.end, s.text, s.line, s.section, s.page] for s in entry.sentences],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")

    def _last_written(self):
        """The catalog file as this object wrote it, open for reading; None if it was replaced since."""
        if self._written_file is None:
            return None
        try:
            fh = open(self.path, "rb")
        except OSError:
            return None
        st = os.fstat(fh.fileno())
        if (st.st_ino, st.st_size, st.st_mtime_ns) == self._written_file:
            return fh
        fh.close()
        return None

    def save(self) -> None:
        """Write atomically (footnote.atomic).

        Index runs replace the entries they change, so an entry that is the same object as at the
        last save is copied from the last file, checked by its CRC, instead of being encoded again
        (encoding them all is a large part of a save at 50k sentences: docs/measurements-2026.md). The
        file is written entry by entry: held whole as one string it was the peak of a big index run."""
        head = json.dumps(
            {
                "version": CATALOG_VERSION,
                "embed_model": self.embed_model,
                "indexed_at": self.indexed_at,
                "failed": self.failed,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        written: dict[str, tuple[Entry, int, int, int]] = {}
        with replacing(self.path) as tmp, open(tmp, "wb") as fh, self._last_written() or nullcontext() as last:
            fh.write(f'{head[:-1]},"entries":{{'.encode())
            for k, (src, entry) in enumerate(self.entries.items()):
                fh.write(f"{',' if k else ''}{json.dumps(src, ensure_ascii=False)}:".encode())
                hit, data = self._written.get(src), None
                if last is not None and hit is not None and hit[0] is entry:
                    data = os.pread(last.fileno(), hit[2], hit[1])
                    if zlib.crc32(data) != hit[3]:
                        data = None
                if data is None:
                    data = self._encode(entry)
                written[src] = (entry, fh.tell(), len(data), zlib.crc32(data))
                fh.write(data)
            fh.write(b"}}")
        st = self.path.stat()
        self._written, self._written_file = written, (st.st_ino, st.st_size, st.st_mtime_ns)

    def copy(self) -> Catalog:
        """A copy an index run can change while askers keep reading this one (entries are replaced, not edited)."""
        return Catalog(
            self.path,
            self.embed_model,
            dict(self.entries),
            self.indexed_at,
            dict(self.failed),
            dict(self._written),
            self._written_file,
        )

    @property
    def sentence_count(self) -> int:
        return sum(len(e.sentences) for e in self.entries.values())
