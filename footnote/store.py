"""Chroma: embedded under INDEX_DIR by default, or a server when CHROMA_HOST is set."""
from __future__ import annotations

import logging
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


def chroma_path(settings: Settings) -> Path:
    return settings.index_dir / "chroma"


def open_client(settings: Settings) -> chromadb.ClientAPI:
    """A Chroma client: HTTP when CHROMA_HOST is set, else persistent files under INDEX_DIR/chroma."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            headers = {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else None
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, headers=headers, settings=chroma_settings
            )
        path = chroma_path(settings)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises a variety of types for unreachable or corrupt stores
        where = f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host \
            else f"the index at {chroma_path(settings)}"
        raise IndexUnavailable(f"cannot open {where} ({exc}): check it, or delete INDEX_DIR and run `python bot.py index`") from exc


def collection_name(base: str, model_name: str) -> str:
    """One collection per embedding model, so switching EMBED_MODEL never mixes vector spaces."""
    safe = "".join(ch if ch.isalnum() else "-" for ch in model_name.lower()).strip("-")
    return f"{base}_{safe}"[:63]


def get_collections(client: chromadb.ClientAPI, model_name: str):
    """(chunks, sentences) collections, cosine space."""
    meta = {"hnsw:space": "cosine"}
    chunks = client.get_or_create_collection(collection_name(CHUNKS, model_name), metadata=meta)
    sentences = client.get_or_create_collection(collection_name(SENTENCES, model_name), metadata=meta)
    return chunks, sentences
