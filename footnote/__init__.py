"""Footnote: answers questions over a folder of articles, citing the exact sentences."""

__version__ = "0.1.0"
