"""footnote.questions, and the engine's answer to odd questions: an error, never an exception or a gap."""

from __future__ import annotations

import pytest

from footnote.questions import clean_question

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u3164\u2800 \t"


@pytest.mark.parametrize(
    "raw, question",
    [
        ("  When does the\u200b base agreement end?\u200e ", "When does the base agreement end?"),
        ("Who\x00 signed\x07 it?", "Who signed it?"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # a Persian zero-width non-joiner inside a word stays
    ],
)
def test_invisible_characters_are_dropped(raw, question):
    assert clean_question(raw) == (question, None)


@pytest.mark.parametrize(
    "raw, error",
    [(INVISIBLE, "empty"), ("", "empty"), (None, "empty"), ("?!…", "empty"), ("When\ud800?", "lone surrogate")],
)
def test_unusable_questions_get_one_line(raw, error):
    question, problem = clean_question(raw)
    assert question == "" and error in problem and "\n" not in problem


def test_the_engine_answers_odd_questions_with_an_error_and_logs_no_gap(engine, seeds):
    engine.ensure_ready(show_bar=False)
    gaps_before = len(engine.gaps.recent(100))
    surrogate = engine.ask("When does the base agreement end?\udc80")
    invisible = engine.ask(INVISIBLE)

    assert not surrogate.found and "lone surrogate" in surrogate.error
    assert not invisible.found and "empty" in invisible.error and not invisible.citations
    assert len(engine.gaps.recent(100)) == gaps_before
    assert "2066" in engine.ask("When does the\u200b base agreement end?").answer  # still answers after them
