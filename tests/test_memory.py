"""release_free_memory really hands freed heap back to the OS (glibc), in a fresh process."""

import pytest

from footnote.memory import _libc
from tests.conftest import run_fresh

SCRIPT = """
import re
from footnote.memory import release_free_memory
def rss(): return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024
blocks = [bytes(100_000) for _ in range(2000)]  # ~200 MB from malloc's heap (under the mmap threshold)
pin = bytes(100_000)  # allocated last: holds the heap's top, so only a trim can return the rest
del blocks
freed = rss()
release_free_memory()
print(freed - rss())
"""


@pytest.mark.skipif(_libc() is None, reason="not glibc")
def test_freed_heap_goes_back_to_the_os():
    done = run_fresh(SCRIPT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 100, f"only {done.stdout.strip()} MB handed back of ~200 MB freed (0 without a trim)"


HEAPS_SCRIPT = """
import sys, threading
from footnote.memory import _libc, limit_heaps
if sys.argv[1] == "limit":
    limit_heaps()
ready = threading.Barrier(8)
def allocate():
    held = [bytes(50_000) for _ in range(20)]  # malloc'd (over pymalloc's size, under the mmap threshold)
    ready.wait()  # all threads alive at once: each new one would get a heap of its own
    del held
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
_libc().malloc_stats()  # one "Arena N:" block per heap, on stderr
"""


@pytest.mark.skipif(_libc() is None, reason="not glibc")
def test_threads_share_a_few_heaps():
    def heaps(mode: str) -> int:
        done = run_fresh(HEAPS_SCRIPT, mode, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stderr.count("Arena ")

    from footnote.memory import HEAPS

    assert heaps("default") > HEAPS  # the test can tell: without the cap, threads get heaps of their own
    assert heaps("limit") <= HEAPS
