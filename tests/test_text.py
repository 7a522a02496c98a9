"""text.py: the words, stems and term weights the keyword index, retrieval and answering share."""

from __future__ import annotations

import re

import pytest

from footnote.text import MONTHS, STOPWORDS, WORD, TermWeights, stem, terms, words


def test_terms_are_stemmed_lowercase_content_words():
    assert terms("The Bases were running until 2066!") == ["base", "run", "2066"]
    assert terms("the of and until") == []
    assert terms("Russia's warships") == ["russia", "warship"]


def test_words_are_lowercase_and_unstemmed():
    assert words("Northwind Traders' bases") == {"northwind", "traders", "bases"}
    assert stem("bases") == "base" and "the" in STOPWORDS


def test_word_and_month_patterns():
    assert [m.group(0) for m in WORD.finditer("It's 49 years—until 2066.")] == ["It's", "49", "years", "until", "2066"]
    assert re.fullmatch(MONTHS, "Sept.") and not re.fullmatch(MONTHS, "Septembre")


def test_term_weights_cover_the_rare_terms_more():
    weights = TermWeights(idf={"base": 1.0, "tartus": 3.0}.get)
    assert weights.coverage(["base", "tartus"], {"tartus"}) == pytest.approx(0.75)
    assert weights.coverage(["base", "tartus"], set()) == 0.0
    assert weights.coverage([], {"base"}) == 0.0
