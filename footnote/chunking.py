"""Sentence-aware chunks and their vectors, as llama-index transformations for the ingestion pipeline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode, TransformComponent
from pydantic import PrivateAttr

from footnote.corpus import Sentence, parse_article
from footnote.embeddings import embed_texts

# Metadata that must reach Chroma but never an embedding or an LLM prompt.
_HIDDEN = ["source", "sentences", "first_sentence", "last_sentence", "date"]


def article_document(article, suffix: str) -> Document:
    """An article as a llama-index Document whose id is its path under seeds/ (stable across runs)."""
    return Document(
        id_=article.source,
        text=article.text,
        metadata={"source": article.source, "title": article.title, "date": article.date or "", "suffix": suffix},
        excluded_embed_metadata_keys=_HIDDEN + ["suffix"],
        excluded_llm_metadata_keys=_HIDDEN + ["suffix"],
    )


def sentences_of(node: BaseNode) -> list[Sentence]:
    """The sentences a chunk node holds, from its metadata."""
    return [
        Sentence(n, start, end, text, line, section, page)
        for n, start, end, line, text, section, page in json.loads(node.metadata["sentences"])
    ]


class SentenceChunker(TransformComponent):
    """Article documents → chunks of a few whole sentences, with sentence numbers and offsets in metadata."""

    sentences_per_chunk: int = 4
    _split: dict = PrivateAttr(default_factory=dict)

    @classmethod
    def class_name(cls) -> str:
        return "SentenceChunker"

    def reuse(self, articles) -> None:
        """Articles the caller has split already (the indexer does, to detect changes): their documents
        are chunked from those sentences instead of being split a second time."""
        self._split = {a.source: a for a in articles}

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        chunks: list[BaseNode] = []
        for doc in nodes:
            meta = doc.metadata
            article = self._split.get(meta["source"])
            if article is None or article.text != doc.text:
                article = parse_article(doc.text, meta["source"], meta.get("suffix", ".txt"))
            sents = article.sentences
            for k in range(0, len(sents), self.sentences_per_chunk):
                group = sents[k : k + self.sentences_per_chunk]
                node = TextNode(
                    id_=f"{meta['source']}#c{k // self.sentences_per_chunk}",
                    text=" ".join(s.text for s in group),
                    metadata={
                        "source": meta["source"],
                        "title": meta["title"],
                        "date": meta["date"],
                        "first_sentence": group[0].n,
                        "last_sentence": group[-1].n,
                        "sentences": json.dumps(
                            [[s.n, s.start, s.end, s.line, s.text, s.section, s.page] for s in group]
                        ),
                    },
                    excluded_embed_metadata_keys=_HIDDEN,
                    excluded_llm_metadata_keys=_HIDDEN,
                )
                node.relationships[NodeRelationship.SOURCE] = doc.as_related_node_info()
                chunks.append(node)
        return chunks


class SentenceEmbedder(TransformComponent):
    """Embeds every sentence once; a chunk's vector is the normalised mean of its sentences' vectors.

    One pass over the sentences serves both the chunk store and the sentence store, which halves the
    embedding work against embedding chunks and sentences separately. The sentence vectors of the
    last call are kept in `sentence_vectors` (chunk id → rows) for the indexer to store."""

    _embed_model: BaseEmbedding = PrivateAttr()
    _vectors: dict = PrivateAttr(default_factory=dict)

    def __init__(self, embed_model: BaseEmbedding, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._embed_model = embed_model
        self._vectors = {}

    @classmethod
    def class_name(cls) -> str:
        return "SentenceEmbedder"

    @property
    def sentence_vectors(self) -> dict[str, np.ndarray]:
        return self._vectors

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        per_node = [sentences_of(node) for node in nodes]
        texts = [embed_text(node.metadata["title"], s) for node, sents in zip(nodes, per_node) for s in sents]
        rows = embed_texts(self._embed_model, texts)
        self._vectors = {}
        at = 0
        for node, sents in zip(nodes, per_node):
            block = rows[at : at + len(sents)]
            at += len(sents)
            self._vectors[node.node_id] = block
            mean = block.mean(axis=0)
            node.embedding = (mean / max(float(np.linalg.norm(mean)), 1e-12)).tolist()
        return list(nodes)


def embed_text(title: str, sentence: Sentence) -> str:
    """What a unit is embedded as: prose alone (its title is scored apart, and the question's words
    that the title holds are discounted); a unit under headings with its page title and section,
    since a list item or table row ("$75 a day") says what it is about only through them."""
    if sentence.section:
        return f"{title} › {sentence.section}: {sentence.text}"
    return sentence.text
