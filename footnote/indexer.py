"""Articles (id = path) → sentence-aware chunks → IngestionPipeline(docstore, Chroma), sentences beside.

Incremental: only added or changed articles are embedded, deleted ones are removed. A file lock keeps
two runs from writing at once, and every batch is committed (vectors, then catalog and docstore,
written atomically) so a kill loses at most the batch in flight, never the rest of the index."""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.vector_stores.chroma import ChromaVectorStore
from tqdm import tqdm

from footnote.atomic import replacing
from footnote.catalog import Catalog, Entry, IndexCorrupt
from footnote.chunking import SentenceChunker, SentenceEmbedder, article_document, sentences_of
from footnote.corpus import ArticleError, article_paths, read_article
from footnote.memory import release_free_memory
from footnote.settings import Settings
from footnote.store import IndexWriteError, cannot_write, get_collections

log = logging.getLogger(__name__)

BATCH_ARTICLES = 32
Progress = Callable[[int, int], None]


class IndexBusy(RuntimeError):
    """Another index run holds the lock."""


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line each: what went wrong and what to do
    unchanged: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0
    articles: int = 0
    sentences: int = 0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        rate = self.sentences_embedded / self.seconds if self.seconds else 0.0
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.failed)} failed, {self.unchanged} unchanged; {self.articles} articles, "
            f"{self.sentences} sentences in the index ({self.sentences_embedded} embedded, "
            f"{rate:.0f} sentences/s, {self.seconds:.1f} s)"
        )


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on index/.lock; the OS drops it if the process dies."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / ".lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise IndexBusy(
                f"another `index` run (pid {holder}) is updating {index_dir}: wait for it to finish"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def file_stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_mtime_ns, st.st_size]


def pending_changes(settings: Settings, catalog: Catalog) -> bool:
    """Cheap check (stat only): has seeds/ gained, lost or touched an article since the last run?"""
    sources = {p.relative_to(settings.seeds_dir).as_posix(): p for p in article_paths(settings.seeds_dir)}
    if any(source not in sources for source in catalog.entries):
        return True
    for source, path in sources.items():
        try:
            stamp = file_stamp(path)
        except OSError:
            return True
        if catalog.failed.get(source) == stamp:
            continue
        entry = catalog.entries.get(source)
        if entry is None or entry.stamp != stamp:
            return True
    return False


class Indexer:
    """Brings the index in step with seeds/."""

    def __init__(self, settings: Settings, embed_model, client) -> None:
        """`client`: a Chroma client, or a callable(rebuild) run under the index lock returning (client,
        the caller's current catalog or None), so that what it reads cannot change before the run writes."""
        self.settings = settings
        self.embed_model = embed_model
        self.client = client
        self.catalog: Catalog | None = None

    def _docstore_path(self) -> Path:
        return self.settings.index_dir / "docstore.json"

    def _open(self, rebuild: bool, known: Catalog | None) -> tuple[Catalog, SimpleDocumentStore]:
        model = self.embed_model.model_name
        try:
            # The caller's copy of the file, when it has one, saves parsing it again.
            catalog = known.copy() if known is not None else Catalog.load(self.settings.index_dir, model)
            if catalog.embed_model and catalog.embed_model != model:
                log.warning("index/ was built with %s, EMBED_MODEL is %s: rebuilding", catalog.embed_model, model)
                rebuild = True
        except IndexCorrupt as exc:
            log.warning("%s; rebuilding it now", exc)
            rebuild = True
        if rebuild:
            self._wipe()
            return Catalog(self.settings.index_dir / "catalog.json", model), SimpleDocumentStore()
        path = self._docstore_path()
        try:
            docstore = SimpleDocumentStore.from_persist_path(str(path)) if path.exists() else SimpleDocumentStore()
        except Exception as exc:  # a torn or foreign docstore: start it again, the catalog still holds the rest
            log.warning("%s is unreadable (%s): re-embedding every article", path, exc)
            self._wipe()
            return Catalog(self.settings.index_dir / "catalog.json", model), SimpleDocumentStore()
        return catalog, docstore

    def _wipe(self) -> None:
        chunks, sentences = get_collections(self.client, self.embed_model.model_name)
        for coll in (chunks, sentences):
            self.client.delete_collection(coll.name)
        for name in ("catalog.json", "docstore.json"):
            (self.settings.index_dir / name).unlink(missing_ok=True)

    def _persist_docstore(self, docstore: SimpleDocumentStore) -> None:
        with replacing(self._docstore_path()) as tmp:
            docstore.persist(str(tmp))

    def run(
        self,
        rebuild: bool = False,
        progress: Progress | None = None,
        show_bar: bool = True,
        known: Catalog | None = None,
    ) -> IndexReport:
        """Index what changed. `known`: the catalog as the caller last read it from disk, if it is current."""
        started = time.perf_counter()
        try:
            with index_lock(self.settings.index_dir):
                if callable(self.client):
                    self.client, known = self.client(rebuild)
                report = self._run(rebuild, progress, show_bar, known)
        except (IndexBusy, IndexWriteError):
            raise
        except Exception as exc:  # sqlite/chroma/OS errors from a full disk or a read-only folder
            if not cannot_write(exc, self.settings.index_dir):
                raise
            raise IndexWriteError(
                f"cannot write the index in {self.settings.index_dir} ({exc}): free disk space "
                "or make INDEX_DIR writable; the previous index still answers"
            ) from exc
        report.seconds = time.perf_counter() - started
        return report

    def _scan(self, catalog: Catalog, report: IndexReport):
        """(articles to embed, sources on disk)."""
        seeds = self.settings.seeds_dir
        todo, on_disk = [], set()
        for path in article_paths(seeds):
            source = path.relative_to(seeds).as_posix()
            on_disk.add(source)
            try:
                stamp = file_stamp(path)
            except OSError:
                continue  # deleted while we scan: the next run removes it
            known = catalog.entries.get(source)
            if known and known.stamp == stamp:
                report.unchanged += 1
                continue
            if catalog.failed.get(source) == stamp:
                continue  # failed before and untouched since: said already
            try:
                article = read_article(path, seeds, self.settings.max_article_bytes)
            except ArticleError as exc:
                report.failed.append(str(exc))
                catalog.failed[source] = stamp
                log.warning("%s", exc)
                continue  # an old version, if any, keeps answering (verify drops citations that moved)
            catalog.failed.pop(source, None)
            if known and known.digest == article.digest:
                catalog.entries[source] = replace(known, stamp=stamp)  # the entry may be shared with askers
                report.unchanged += 1
                continue
            (report.changed if known else report.added).append(source)
            todo.append((article, path.suffix.lower(), stamp))
        return todo, on_disk

    def _run(self, rebuild: bool, progress: Progress | None, show_bar: bool, known: Catalog | None) -> IndexReport:
        report = IndexReport()
        catalog, docstore = self._open(rebuild, known)
        chunks, sentences = get_collections(self.client, self.embed_model.model_name)
        vector_store = ChromaVectorStore(chroma_collection=chunks)
        embedder = SentenceEmbedder(self.embed_model)
        chunker = SentenceChunker(sentences_per_chunk=self.settings.chunk_sentences)
        pipeline = IngestionPipeline(
            transformations=[chunker, embedder],
            docstore=docstore,
            vector_store=vector_store,
            docstore_strategy=DocstoreStrategy.UPSERTS,
            # The default in-memory cache would keep every batch's nodes, vectors included, until the
            # run ends: on a big corpus that is hundreds of MB for batches already committed.
            disable_cache=True,
        )
        todo, on_disk = self._scan(catalog, report)
        catalog.failed = {s: st for s, st in catalog.failed.items() if s in on_disk}

        for source in sorted(set(catalog.entries) - on_disk):
            vector_store.delete(source)
            sentences.delete(where={"source": source})
            docstore.delete_document(source, raise_error=False)
            docstore.delete_ref_doc(source, raise_error=False)
            del catalog.entries[source]
            report.removed.append(source)

        total_sentences = sum(len(a.sentences) for a, _, _ in todo)
        bar = tqdm(
            total=total_sentences,
            unit="sent",
            desc="indexing",
            file=sys.stderr,
            disable=not show_bar or not todo,
            dynamic_ncols=True,
        )
        done_articles = 0
        # A run that died left a marker: only then can rows of "new" articles already be in Chroma.
        marker = self.settings.index_dir / ".unfinished"
        killed_before = marker.exists()
        marker.touch()
        last_commit, commit_cost = time.monotonic(), 0.0
        for lo in range(0, len(todo), BATCH_ARTICLES):
            batch = todo[lo : lo + BATCH_ARTICLES]
            todo[lo : lo + BATCH_ARTICLES] = [None] * len(batch)  # an article's text is not needed after its batch
            stale = [a.source for a, _, _ in batch if killed_before or a.source in catalog.entries]
            if stale:  # old rows of changed articles, or what a killed run left half-written
                chunks.delete(where={"document_id": {"$in": stale}})
                sentences.delete(where={"source": {"$in": stale}})
            # The docstore keeps ids and hashes for change detection; the texts live in the catalog.
            chunker.reuse(a for a, _, _ in batch)
            nodes = pipeline.run(
                documents=[article_document(a, suffix) for a, suffix, _ in batch], store_doc_text=False
            )
            ids, vecs, metas = [], [], []
            for node in nodes:
                for sent, vec in zip(sentences_of(node), embedder.sentence_vectors[node.node_id]):
                    ids.append(f"{node.metadata['source']}#s{sent.n}")
                    vecs.append(vec)  # a float32 row: Chroma stores it as it is (a list would be converted back)
                    metas.append({"source": node.metadata["source"], "n": sent.n, "chunk": node.node_id})
            # Vectors and ids only: the sentence texts live in the catalog, and as Chroma documents
            # they would also be full-text indexed, a third of the write time for nothing.
            for at in range(0, len(ids), 4000):
                sentences.upsert(
                    ids=ids[at : at + 4000], embeddings=vecs[at : at + 4000], metadatas=metas[at : at + 4000]
                )
            for article, _, stamp in batch:
                catalog.entries[article.source] = Entry.from_article(article, stamp)
            done_articles += len(batch)
            # Commit often, but spend at most ~10% of the time on it: a small index commits every
            # batch, a big one (whose catalog takes a while to write) every few seconds. A kill loses
            # only the work since the last commit.
            if time.monotonic() - last_commit >= max(1.0, 10 * commit_cost) or done_articles == len(todo):
                started_commit = time.monotonic()
                catalog.indexed_at = time.time()
                catalog.save()
                self._persist_docstore(docstore)
                last_commit = time.monotonic()
                commit_cost = last_commit - started_commit
            report.sentences_embedded += len(ids)
            bar.update(len(ids))
            del (
                batch,
                article,
                nodes,
                ids,
                vecs,
                metas,
            )  # before the trim: this batch's garbage is most of what it frees
            release_free_memory()
            bar.set_postfix_str(f"{done_articles}/{len(todo)} articles")
            if progress:
                progress(done_articles, len(todo))
        bar.close()
        if not todo:  # stamps, failures and removals still need saving
            if report.removed or not catalog.indexed_at:
                catalog.indexed_at = time.time()
            catalog.save()
            self._persist_docstore(docstore)
        marker.unlink(missing_ok=True)
        self.catalog = catalog  # what was just written, for a caller that would otherwise re-read it
        report.articles = len(catalog.entries)
        report.sentences = catalog.sentence_count
        return report
