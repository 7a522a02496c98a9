"""The catalog: every indexed article's title, date, file stamp and sentences, kept beside the vectors.

It is the index's source of truth for text and offsets, written atomically after each batch so a kill
never leaves it half-written, and it tells `ask` whether seeds/ changed since the last index run."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from footnote.corpus import Article, Sentence

CATALOG_VERSION = 1


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
    def from_article(cls, article: Article, stamp: list[int]) -> "Entry":
        return cls(article.source, article.title, article.date, article.digest, stamp, list(article.sentences))


@dataclass
class Catalog:
    path: Path
    embed_model: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)
    indexed_at: float = 0.0
    # Files that could not be read, with their stamps: not retried (nor stale) until they change.
    failed: dict[str, list[int]] = field(default_factory=dict)
    _json_cache: dict[str, tuple[Entry, str]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, index_dir: Path, embed_model: str) -> "Catalog":
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
                src: Entry(src, e["title"], e["date"], e["digest"], e["stamp"],
                           [Sentence(*row) for row in e["sentences"]])
                for src, e in raw["entries"].items()
            }
            return cls(path, raw.get("embed_model", ""), entries, raw.get("indexed_at", 0.0), raw.get("failed", {}))
        except IndexCorrupt:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"{path} is unreadable ({exc.__class__.__name__}): run `python bot.py index --rebuild`") from exc

    def _entry_json(self, entry: Entry) -> str:
        """One entry's JSON, cached while the entry object stays the same: index runs replace the
        entries they change, so a save re-encodes only those (the rest of 50k sentences costs ~0.4 s)."""
        hit = self._json_cache.get(entry.source)
        if hit is None or hit[0] is not entry:
            hit = (entry, json.dumps({"title": entry.title, "date": entry.date, "digest": entry.digest,
                                      "stamp": entry.stamp,
                                      "sentences": [[s.n, s.start, s.end, s.text, s.line] for s in entry.sentences]},
                                     ensure_ascii=False, separators=(",", ":")))
            self._json_cache[entry.source] = hit
        return hit[1]

    def save(self) -> None:
        """Write atomically: a temp file in the same folder, fsync, then os.replace. Written entry by
        entry: the whole file as one string (~10 MB at 50k sentences, twice over once encoded) was
        the peak of a big index run."""
        head = json.dumps({"version": CATALOG_VERSION, "embed_model": self.embed_model, "indexed_at": self.indexed_at,
                           "failed": self.failed}, ensure_ascii=False, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".catalog-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f'{head[:-1]},"entries":{{')
                for k, (src, entry) in enumerate(self.entries.items()):
                    fh.write(f'{"," if k else ""}{json.dumps(src, ensure_ascii=False)}:{self._entry_json(entry)}')
                fh.write("}}")
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600: the bot may run as another user than `index`
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def copy(self) -> "Catalog":
        """A copy an index run can change while askers keep reading this one (entries are replaced, not edited)."""
        return Catalog(self.path, self.embed_model, dict(self.entries), self.indexed_at, dict(self.failed),
                       dict(self._json_cache))

    @property
    def sentence_count(self) -> int:
        return sum(len(e.sentences) for e in self.entries.values())
