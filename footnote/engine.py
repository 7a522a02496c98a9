"""Engine(settings): index(), ask(q) -> Answer, status(); the one door every front end uses."""
from __future__ import annotations
# (implementation in progress: see the helper prompts for the contract)
