"""Test articles beside the seed: a look-alike (for thread follow-ups) and one of very long sentences."""

from __future__ import annotations

DJIBOUTI = """Foreign military bases in Djibouti
Date: 2014-05-06

Djibouti hosts the largest American military base in Africa, Camp Lemonnier, next to the city's international airport.

The new lease for Camp Lemonnier was signed in Washington by President Ismail Omar Guelleh and President Barack Obama. It runs for ten years and can be renewed for a further decade, and the United States pays 63 million dollars a year in rent.

France, Japan, Italy and China also keep troops in the country, which overlooks the Bab-el-Mandeb strait.
"""

_RECORD = (
    "kept a nightly record of every passing ship, noting its flag, its heading, the hour it cleared the "
    "point, the state of the sea, the strength and direction of the wind, the height of the swell over the "
    "northern reef, the visibility toward the estuary, whether the lamp had needed trimming, how much "
    "paraffin had been burned since dusk, and any signal the crew had flashed toward the tower"
)


def _long_sentence(period: str) -> str:
    return (
        f"The keeper of the Harwick lighthouse {period} {_RECORD}, and then, once the ship was out of sight, "
        f"{_RECORD.replace('kept', 'copied')} into a second ledger, and every entry in those journals was "
        "written in the same careful copperplate hand that the keeper had learned as a boy in the harbour school."
    )


# Three sentences of ~1,000 characters: asked about, they make an answer of over 3,000 characters.
HARWICK = (
    "The Harwick lighthouse journals\nDate: 1998-03-02\n\n"
    + "\n\n".join(
        _long_sentence(p)
        for p in ("in the winter of 1891", "during the storm season of 1902", "through the fog-bound autumn of 1911")
    )
    + "\n"
)
HARWICK_QUESTION = "What did the keeper of the Harwick lighthouse record in his journals?"
