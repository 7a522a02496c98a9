"""footnote.gaps: refused questions in SQLite; a log that cannot be written never costs an answer."""

from __future__ import annotations

from footnote.gaps import GapLog


def test_records_and_lists_newest_first(tmp_path):
    gaps = GapLog(tmp_path / "gaps.sqlite3")
    gaps.record("Capital of France?", 0.12, "Russia's military bases in Syria")
    gaps.record("Who won in 1966?", None, None)
    assert [g["question"] for g in gaps.recent()] == ["Who won in 1966?", "Capital of France?"]


def test_an_unwritable_log_warns_once_per_outage_and_never_raises(tmp_path, caplog):
    (tmp_path / "index").write_text("a file where INDEX_DIR's folder should be")
    gaps = GapLog(tmp_path / "index" / "gaps.sqlite3")
    for n in range(3):
        gaps.record(f"question {n}?", 0.1, None)
    warnings = [r for r in caplog.records if r.name == "footnote.gaps"]
    assert len(warnings) == 1 and "not recorded" in warnings[0].getMessage()
