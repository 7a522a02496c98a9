"""A question as the engine takes it: invisible characters dropped, and a clear error for one it cannot use."""

from __future__ import annotations

import unicodedata

# Letters (category Lo) that render as nothing: Hangul fillers, and the Braille blank (So) used the same way.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
_JOINERS = {"\u200c", "\u200d"}  # meaningful inside words in some scripts (Persian, Indic)


def clean_question(raw: str | None) -> tuple[str, str | None]:
    """(question, error). The question loses format characters (zero-width spaces, BOMs, bidi marks)
    and has controls turned to spaces; it is an error when it holds a lone surrogate (not text, and the
    tokenizer raises on it) or no letter or digit at all (nothing to look up)."""
    text = raw or ""
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        return "", "the question holds an invalid character (a lone surrogate): retype it"
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf" and ch not in _JOINERS:
            continue
        kept.append(" " if category == "Cc" else ch)
    question = " ".join("".join(kept).split())
    if not any(unicodedata.category(ch)[0] in "LN" and ch not in _BLANK_LETTERS for ch in question):
        return "", "the question is empty: ask something about the articles"
    return question, None
