"""Chroma: embedded under INDEX_DIR by default, or a server when CHROMA_HOST is set."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from footnote.settings import Settings

log = logging.getLogger(__name__)

# Bump when what we store changes shape; an index of another version is rebuilt, not misread.
SCHEMA_VERSION = 1
CHUNKS = f"footnote_chunks_v{SCHEMA_VERSION}"
SENTENCES = f"footnote_sentences_v{SCHEMA_VERSION}"


class IndexUnavailable(RuntimeError):
    """The vector store cannot be reached or read; the message says what to do."""


class IndexWriteError(RuntimeError):
    """The index cannot be written (read-only, disk full); the previous index is left as it was."""


# SQLite's words for a store it can read but not write: answer from a copy instead of failing.
_CANNOT_WRITE = ("readonly", "read-only", "disk is full", "disk i/o", "no space")


def cannot_write(exc: BaseException, folder: Path | None = None) -> bool:
    """Is this error the store failing to write? Chroma reports a full disk in many words
    ("compaction failed", ...), so the file system's free space is asked too."""
    if any(word in str(exc).lower() for word in _CANNOT_WRITE) or getattr(exc, "errno", None) in (28, 30, 13):
        return True
    try:
        return folder is not None and shutil.disk_usage(folder).free < 16 * 2**20
    except OSError:
        return False


COPY_PREFIX = "footnote-readonly-index-"


def _remove_orphan_copies() -> None:
    """Delete read-only copies left by processes that died without cleaning up (kill -9, OOM)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{COPY_PREFIX}*"):
        pid = folder.name[len(COPY_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _read_only_copy(path: Path) -> chromadb.ClientAPI:
    """Open a private temporary copy of a store we may not write, so the old index keeps answering.

    The copy goes when its client does (or at exit); copies of dead processes go at the next copy."""
    _remove_orphan_copies()
    copy = Path(tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{os.getpid()}-"))
    try:
        shutil.copytree(path, copy, dirs_exist_ok=True)
        client = _fresh_client(copy)
    except BaseException:
        shutil.rmtree(copy, ignore_errors=True)
        raise
    weakref.finalize(client, shutil.rmtree, copy, ignore_errors=True)
    log.warning("%s cannot be written (read-only or full): answering from a copy; fix it to update the index", path)
    return client


def _fresh_client(path: Path) -> chromadb.ClientAPI:
    """A client with its own Chroma system, reading the store as it is on disk now.

    Chroma shares one system per folder in a process, and that system keeps each collection's vector
    index in memory, seeing only its own process's writes: after another process adds or removes
    vectors, its searches return ids the store no longer has ("Error finding id") or miss new ones.
    Dropping the cached system makes the next client load the store again. Clients still holding the
    old system keep using it until they are released (it is freed with them, not stopped under them)."""
    SharedSystemClient._identifier_to_system.pop(str(path), None)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def chroma_path(settings: Settings) -> Path:
    return settings.index_dir / "chroma"


def open_client(settings: Settings) -> chromadb.ClientAPI:
    """A Chroma client: HTTP when CHROMA_HOST is set, else persistent files under INDEX_DIR/chroma.

    Each call reads an embedded store afresh (see _fresh_client): call it again after another process
    changed the index."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            headers = {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else None
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                headers=headers,
                settings=chroma_settings,
            )
        path = chroma_path(settings)
        path.mkdir(parents=True, exist_ok=True)
        try:
            return _fresh_client(path)
        except Exception as exc:
            if cannot_write(exc, path) and path.exists():
                return _read_only_copy(path)
            raise
    except Exception as exc:  # chromadb raises a variety of types for unreachable or corrupt stores
        if settings.chroma_host:
            raise IndexUnavailable(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({exc.__class__.__name__}): start it or fix CHROMA_HOST/CHROMA_PORT"
            ) from exc
        if cannot_write(exc, settings.index_dir):
            raise IndexWriteError(
                f"cannot write {chroma_path(settings)} ({exc}): free disk space or make INDEX_DIR writable"
            ) from exc
        raise IndexUnavailable(
            f"cannot open the index at {chroma_path(settings)} ({exc}): run `python bot.py index --rebuild`"
        ) from exc


def move_aside(settings: Settings) -> Path:
    """Move a broken embedded store (and the catalog and docstore that describe it) to
    INDEX_DIR/broken-<time>/, kept for inspection, so that a rebuild starts from nothing. Call it
    holding the index lock."""
    target = settings.index_dir / f"broken-{time.strftime('%Y%m%d-%H%M%S')}"
    n = 1
    while target.exists():
        n += 1
        target = settings.index_dir / f"broken-{time.strftime('%Y%m%d-%H%M%S')}-{n}"
    target.mkdir(parents=True)
    for name in ("chroma", "catalog.json", "docstore.json"):
        if (settings.index_dir / name).exists():
            os.replace(settings.index_dir / name, target / name)
    SharedSystemClient._identifier_to_system.pop(str(chroma_path(settings)), None)
    return target


class StoreView:
    """The Chroma client a long-lived process reads from, opened again when the index changed under it.

    `stamp` is the catalog file's stamp: an index run commits vectors before it replaces the catalog,
    so a client opened after the catalog was read has seen at least what that catalog describes. An
    embedded store is opened again when the stamp moved on (another process indexed, see _fresh_client);
    a Chroma server is one shared store, always current."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: chromadb.ClientAPI | None = None
        self._seen = None  # the stamp the client has seen at least
        self._lock = threading.Lock()

    def client(self, stamp, fresh: bool = False) -> chromadb.ClientAPI:
        """A client current as of `stamp`; `fresh` opens the store again whatever the stamp says."""
        with self._lock:
            stale = fresh or (self._seen != stamp and not self.settings.chroma_host)
            if self._client is None or stale:
                self._client = None
                self._client = open_client(self.settings)
                self._seen = stamp
            return self._client

    def for_index_run(self, stamp, model_name: str, rebuild: bool) -> chromadb.ClientAPI:
        """The client an index run writes with (call it holding the index lock). A rebuild of an embedded
        store that cannot be opened or read moves it aside (see move_aside) and starts a new one."""
        try:
            client = self.client(stamp)
            if rebuild and not self.settings.chroma_host:
                get_collections(client, model_name)  # a store can open and still fail to read
            return client
        except Exception as exc:
            if not rebuild or self.settings.chroma_host or isinstance(exc, IndexWriteError):
                raise
            kept = move_aside(self.settings)
            log.warning(
                "the index could not be opened (%s): moved it to %s and building a new one",
                exc.__class__.__name__,
                kept,
            )
            return self.client(None, fresh=True)

    def after_failed_write(self, stamp) -> None:
        """An index run in this process failed to write (a full or read-only disk): its Chroma system
        can be left waiting on the write it never finished, and a search through it then blocks. Answer
        from a private copy of the store until the index changes (see _read_only_copy)."""
        if self.settings.chroma_host:
            return
        with self._lock:
            try:
                self._client = _read_only_copy(chroma_path(self.settings))
            except Exception as exc:  # no room for a copy either: the store itself, opened again
                log.warning("cannot copy the index to answer from (%s): reading it in place", exc)
                self._client = open_client(self.settings)
            self._seen = stamp

    def wrote(self, client: chromadb.ClientAPI, stamp) -> None:
        """`client` wrote the index that `stamp` describes: it is current as of it."""
        with self._lock:
            if client is self._client:
                self._seen = stamp

    def close(self) -> None:
        with self._lock:
            self._client = None


def collection_name(base: str, model_name: str) -> str:
    """One collection per embedding model, so switching EMBED_MODEL never mixes vector spaces."""
    safe = "".join(ch if ch.isalnum() else "-" for ch in model_name.lower()).strip("-")
    return f"{base}_{safe}"[:63]


# How many graph nodes an HNSW search visits. Chroma's default, 100, misses some of the true nearest
# sentences, so two processes over the same files can disagree on the candidates; 500 finds nearly all
# for about a millisecond more a search (docs/measurements-2026.md).
SEARCH_EF = 500


def get_collections(client: chromadb.ClientAPI, model_name: str):
    """(chunks, sentences) collections, cosine space, searched with SEARCH_EF."""
    meta = {"hnsw:space": "cosine"}
    chunks = client.get_or_create_collection(collection_name(CHUNKS, model_name), metadata=meta)
    sentences = client.get_or_create_collection(collection_name(SENTENCES, model_name), metadata=meta)
    for collection in (chunks, sentences):
        _search_wide(collection)
    return chunks, sentences


def _search_wide(collection) -> None:
    """ef_search is a query-time setting that Chroma keeps with the collection: set it on indexes built
    before it existed too. An index that cannot take the change (read-only) still answers, less exactly."""
    hnsw = (collection.configuration_json or {}).get("hnsw") or {}
    if hnsw.get("ef_search", 0) >= SEARCH_EF:
        return
    try:
        collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    except Exception as exc:  # chromadb raises a variety of types for stores it cannot write
        log.warning(
            "could not widen the vector search of %s (%s): answers may miss a few candidates", collection.name, exc
        )
