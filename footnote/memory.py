"""Keep the process's footprint close to its live data: few malloc heaps, freed memory handed back."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
HEAPS = 2


@lru_cache(maxsize=1)
def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:  # not glibc (musl, macOS): nothing to call, nothing lost
        return None


def limit_heaps() -> None:
    """Cap glibc at HEAPS malloc heaps. By default each thread that allocates (the e5 batch runners,
    Chroma's and the bot's threads) may get a heap of its own, up to 8 per core, and each keeps the
    high-water mark of what passed through it. Call it before those threads start (docs/measurements-2026.md)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, HEAPS)


def release_free_memory() -> None:
    """glibc keeps freed blocks in its heaps; an index run frees tens of MB a batch (nodes, vectors,
    Chroma's buffers), so without this the process's size creeps up to its high-water mark and stays
    there (docs/measurements-2026.md)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
