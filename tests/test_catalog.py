"""The catalog file round-trips, and a save after replacing one entry writes that entry's new state."""

from __future__ import annotations

import json
import os
from dataclasses import replace

from footnote.catalog import Catalog, Entry
from footnote.corpus import Sentence


def entry(source: str, text: str) -> Entry:
    return Entry(
        source,
        f"Title of {source}",
        "2024-01-02",
        f"d-{text}",
        [1, len(text)],
        [Sentence(0, 0, len(text), text, 3), Sentence(1, len(text) + 1, len(text) + 4, "Ünï.", 3)],
    )


def test_save_load_round_trip_and_a_replaced_entry_is_written_again(tmp_path):
    catalog = Catalog(tmp_path / "catalog.json", "model-a", indexed_at=12.5, failed={"bad.txt": [1, 2]})
    catalog.entries = {"a.txt": entry("a.txt", 'Alpha "quoted" text.'), "b.txt": entry("b.txt", "Beta.")}
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


def encodes_counted(monkeypatch) -> list[str]:
    """Record which entries a save encodes (the others are copied from the last file)."""
    seen: list[str] = []
    original = Catalog._encode

    def counting(e: Entry) -> bytes:
        seen.append(e.source)
        return original(e)

    monkeypatch.setattr(Catalog, "_encode", staticmethod(counting))
    return seen


def test_a_save_encodes_only_the_entries_replaced_since_the_last(tmp_path, monkeypatch):
    catalog = Catalog(tmp_path / "catalog.json", "model-a")
    catalog.entries = {f"{k}.txt": entry(f"{k}.txt", f"Text {k}.") for k in range(5)}
    catalog.save()
    encoded = encodes_counted(monkeypatch)
    run = catalog.copy()  # what an index run works on
    run.entries["2.txt"] = entry("2.txt", "Changed text.")
    run.entries["9.txt"] = entry("9.txt", "New text.")
    run.save()
    assert sorted(encoded) == ["2.txt", "9.txt"]
    assert Catalog.load(tmp_path, "model-a").entries == run.entries


def test_a_catalog_file_written_by_someone_else_is_never_copied_from(tmp_path, monkeypatch):
    mine = Catalog(tmp_path / "catalog.json", "model-a")
    mine.entries = {"a.txt": entry("a.txt", "Mine, first."), "b.txt": entry("b.txt", "Mine, second.")}
    mine.save()
    theirs = Catalog(tmp_path / "catalog.json", "model-a")  # another process's run
    theirs.entries = {"a.txt": entry("a.txt", "Theirs entirely."), "b.txt": entry("b.txt", "Theirs too.")}
    theirs.save()
    mine.save()
    assert Catalog.load(tmp_path, "model-a").entries == mine.entries

    # Same file, same size, same mtime, other bytes: the checksum still tells.
    path = tmp_path / "catalog.json"
    st = path.stat()
    data = path.read_bytes()
    with open(path, "r+b") as fh:
        fh.write(data.replace(b"Mine, first.", b"Mine, FIRST."))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    encoded = encodes_counted(monkeypatch)
    mine.save()
    assert encoded == ["a.txt"]
    assert Catalog.load(tmp_path, "model-a").entries == mine.entries
