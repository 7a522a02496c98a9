"""Chroma: embedded under INDEX_DIR by default, or a server when CHROMA_HOST is set."""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import chromadb
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


def _read_only_copy(path: Path) -> chromadb.ClientAPI:
    """Open a private temporary copy of a store we may not write, so the old index keeps answering."""
    copy = Path(tempfile.mkdtemp(prefix="footnote-readonly-index-"))
    shutil.copytree(path, copy, dirs_exist_ok=True)
    log.warning("%s cannot be written (read-only or full): answering from a copy; fix it to update the index", path)
    return chromadb.PersistentClient(path=str(copy), settings=ChromaSettings(anonymized_telemetry=False))


def chroma_path(settings: Settings) -> Path:
    return settings.index_dir / "chroma"


def open_client(settings: Settings) -> chromadb.ClientAPI:
    """A Chroma client: HTTP when CHROMA_HOST is set, else persistent files under INDEX_DIR/chroma."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            headers = {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else None
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl, headers=headers,
                settings=chroma_settings)
        path = chroma_path(settings)
        path.mkdir(parents=True, exist_ok=True)
        try:
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as exc:
            if cannot_write(exc, path) and path.exists():
                return _read_only_copy(path)
            raise
    except Exception as exc:  # chromadb raises a variety of types for unreachable or corrupt stores
        if settings.chroma_host:
            raise IndexUnavailable(f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                                   f"({exc.__class__.__name__}): start it or fix CHROMA_HOST/CHROMA_PORT") from exc
        if cannot_write(exc, settings.index_dir):
            raise IndexWriteError(f"cannot write {chroma_path(settings)} ({exc}): free disk space or make "
                                  "INDEX_DIR writable") from exc
        raise IndexUnavailable(f"cannot open the index at {chroma_path(settings)} ({exc}): "
                               "run `python bot.py index --rebuild`") from exc


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
        log.warning("could not widen the vector search of %s (%s): answers may miss a few candidates",
                    collection.name, exc)
