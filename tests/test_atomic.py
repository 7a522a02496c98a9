"""atomic.py: a file or folder is replaced whole, flushed to disk before and after the rename."""

from __future__ import annotations

import os
import stat

import pytest

from footnote import atomic


def test_replacing_writes_the_whole_file_world_readable(tmp_path):
    target = tmp_path / "sub" / "catalog.json"
    with atomic.replacing(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".")  # hidden from folder readers
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["catalog.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "index" / "catalog.json"
    target.parent.mkdir()
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["catalog.json"]


def test_the_data_is_flushed_before_the_rename_and_the_rename_after(tmp_path, monkeypatch):
    target, events = tmp_path / "docstore.json", []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        os, "fsync", lambda fd: events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))) or real_fsync(fd)
    )
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace", str(b))) or real_replace(a, b))
    with atomic.replacing(target) as tmp:
        tmp.write_bytes(b"{}")
    assert events == [("fsync", str(tmp)), ("replace", str(target)), ("fsync", str(tmp_path))]


def test_write_bytes(tmp_path):
    atomic.write_bytes(tmp_path / "a.txt", b"text", mode=0o600)
    assert (tmp_path / "a.txt").read_bytes() == b"text"
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o600


def test_replace_dir_puts_a_new_folder_in_place_of_a_full_one(tmp_path):
    old, new = tmp_path / "cache" / "model", tmp_path / "cache" / ".model.tmp"
    (old / "deep").mkdir(parents=True)
    (old / "deep" / "weights.bin").write_bytes(b"old")
    (new / "deep").mkdir(parents=True)
    (new / "deep" / "weights.bin").write_bytes(b"new")
    atomic.replace_dir(new, old)
    assert (old / "deep" / "weights.bin").read_bytes() == b"new"
    assert [p.name for p in old.parent.iterdir()] == ["model"]  # the old copy is gone
