"""A statement's numbers, dates and names must be in the sentences it cites."""

from __future__ import annotations

import pytest

from footnote.answering.llm_verify import unsupported_in_statement

TARTUS = (
    "Under the agreement, Russia may use the Tartus base free of charge for 49 years, which means the base "
    "agreement runs until 2066."
)
SIGNED = "The deal was signed in Damascus on 18 January 2017 by officials of the two defence ministries."


@pytest.mark.parametrize(
    "statement",
    [
        "The base agreement runs until 2066.",
        "Yes: Russia's use of Tartus runs for forty-nine years, until 2066.",
        "It was signed in Damascus on 18 January 2017 by 2 ministries.",
        "Under the deal the base is free of charge.",
    ],
)
def test_supported_statements_pass(statement):
    assert unsupported_in_statement(statement, [TARTUS, SIGNED]) == []


@pytest.mark.parametrize(
    "statement, missing",
    [
        ("The base agreement expires in 2099.", ["2099"]),
        ("It runs until 206.", ["206"]),  # whole numbers only: 206 is not in 2066
        ("It was signed in March 2017.", ["mar"]),
        ("Vladimir Putin signed it.", ["Vladimir", "Putin"]),
        ("Russia may use it for 49 million years.", ["million"]),
        ("It lasts fifty years.", ["50"]),
    ],
)
def test_unsupported_numbers_dates_and_names_are_named(statement, missing):
    assert unsupported_in_statement(statement, [TARTUS, SIGNED]) == missing


def test_only_the_cited_sentences_count():
    assert unsupported_in_statement("It was signed on 18 January 2017.", [TARTUS]) == ["18", "2017", "jan"]
