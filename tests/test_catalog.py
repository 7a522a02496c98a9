"""The catalog file round-trips, and a save after replacing one entry writes that entry's new state."""
from __future__ import annotations

import json
from dataclasses import replace

from footnote.catalog import Catalog, Entry
from footnote.corpus import Sentence


def entry(source: str, text: str) -> Entry:
    return Entry(source, f"Title of {source}", "2024-01-02", f"d-{text}", [1, len(text)],
                 [Sentence(0, 0, len(text), text, 3), Sentence(1, len(text) + 1, len(text) + 4, "Ünï.", 3)])


def test_save_load_round_trip_and_a_replaced_entry_is_written_again(tmp_path):
    catalog = Catalog(tmp_path / "catalog.json", "model-a", indexed_at=12.5, failed={"bad.txt": [1, 2]})
    catalog.entries = {"a.txt": entry("a.txt", "Alpha \"quoted\" text."), "b.txt": entry("b.txt", "Beta.")}
    catalog.save()
    loaded = Catalog.load(tmp_path, "model-a")
    assert loaded.entries == catalog.entries and loaded.failed == catalog.failed and loaded.indexed_at == 12.5
    json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))  # one valid JSON document

    copy = loaded.copy()
    copy.entries["b.txt"] = replace(copy.entries["b.txt"], stamp=[9, 9])
    copy.entries["c.txt"] = entry("c.txt", "Gamma.")
    del copy.entries["a.txt"]
    copy.save()
    again = Catalog.load(tmp_path, "model-a")
    assert set(again.entries) == {"b.txt", "c.txt"} and again.entries["b.txt"].stamp == [9, 9]
    assert loaded.entries["b.txt"].stamp == [1, 5] and "a.txt" in loaded.entries  # the copy left the original alone
