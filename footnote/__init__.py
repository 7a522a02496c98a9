"""Footnote: answers questions over a folder of articles, citing the exact sentences."""

from footnote.lean import defer_chroma_trace_exporter

defer_chroma_trace_exporter()  # before anything imports chromadb

__version__ = "0.1.0"
