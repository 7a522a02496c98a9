"""The image's runtime, rebuilt the way the Dockerfile builds it (no Docker engine here): the project
installed into a fresh venv with the Dockerfile's pip command, models built by the Dockerfile's own RUN
line, then its ENTRYPOINT run as a non-root user over a read-only tree."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pytest

from tests.test_lock import pins

pytestmark = pytest.mark.slow  # a wheel, a venv and a model build, as the image is built

REPO = Path(__file__).resolve().parents[1]
NOBODY = 65534


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped, as docker parses."""
    lines = [ln for ln in (REPO / "Dockerfile").read_text().splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", "", "\n".join(lines))
    return [(m.group(1).upper(), m.group(2).strip()) for m in re.finditer(r"^\s*(\w+)\s+(.*)$", joined, re.M)]


def _stage_starts() -> list[int]:
    return [i for i, (op, _) in enumerate(dockerfile_instructions()) if op == "FROM"]


def build_stage() -> list[tuple[str, str]]:
    starts = _stage_starts()
    return dockerfile_instructions()[starts[-2] : starts[-1]]


def runtime_stage() -> list[tuple[str, str]]:
    return dockerfile_instructions()[_stage_starts()[-1] :]


def test_dockerfile_shape():
    stage = runtime_stage()
    ops = dict(stage)  # the last of each instruction wins, as in docker
    assert len([op for op, _ in dockerfile_instructions() if op == "FROM"]) >= 2, "multi-stage: build, then runtime"
    args = dict(a.split("=", 1) for op, a in dockerfile_instructions() if op == "ARG" and "=" in a)
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], stage[0][1])
    assert base.startswith("python:3.11") and "slim" in base, base
    assert re.fullmatch(r"\d+(:\d+)?", ops["USER"]) and not ops["USER"].startswith("0"), "numeric non-root USER"
    assert ops["STOPSIGNAL"] == "SIGTERM"
    assert "footnote.health" in ops["HEALTHCHECK"] and "curl" not in ops["HEALTHCHECK"]
    assert json.loads(ops["VOLUME"]) == ["/data/seeds", "/data/index"]
    runs = " ".join(args for op, args in stage if op == "RUN")
    assert "build-essential" not in runs and "gcc" not in runs, "no compilers in the runtime image"
    for ignored in (".env", "index", "tests", ".venv", ".git"):
        assert ignored in (REPO / ".dockerignore").read_text().split(), ignored


def _install_commands() -> list[list[str]]:
    """The build stage's `pip install ...` commands, whose shape the test repeats; the runtime stage
    copies their venv and runs no pip of its own."""
    commands = [
        found.split()
        for op, args in build_stage()
        if op == "RUN"
        for found in re.findall(r"/opt/venv/bin/pip install ([^&]+)", args)
    ]
    assert commands == [
        ["--require-hashes", "-r", "requirements-runtime.lock"],
        ["--no-deps", "--no-build-isolation", "."],
    ], commands
    assert ("COPY", "requirements-runtime.lock ./") in build_stage()
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime_stage()
    assert not any("pip install" in args for op, args in runtime_stage() if op == "RUN")
    return commands


def _model_build_code() -> str:
    runs = [args for op, args in runtime_stage() if op == "RUN" and "build_embedding" in args]
    assert len(runs) == 1, "the Dockerfile builds the offline models in one RUN"
    return re.search(r'python -c "(.*?)"\s*(?:&&|$)', runs[0], re.S).group(1)


@pytest.fixture
def image_root():
    """A root-owned 0755 tree under /tmp that the unprivileged user can read but not write."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the entry point as a non-root user")
    root = Path(tempfile.mkdtemp(prefix="footnote-image-", dir="/tmp"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def sh(*cmd, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def copy_locked_distributions(site: Path) -> None:
    """Each distribution requirements-runtime.lock pins, copied from the project venv into `site` at the
    pinned version: the lock's install without a registry, into a tree the image's user can read wherever
    the checkout lives (a path back into the project venv fails under a private folder such as ~root)."""
    for name, (version, _) in pins("requirements-runtime.lock").items():
        dist = metadata.distribution(name)
        assert dist.version == version, (
            f"the project venv has {name}=={dist.version}, the runtime lock pins {version}: "
            "reinstall it from requirements.lock"
        )
        for record in dist.files:
            source = Path(record.locate())
            if record.parts[0] == ".." or not source.is_file():  # console scripts: the entry point is python
                continue
            (site / record).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, site / record)


def test_runtime_answers_as_non_root_from_a_read_only_tree(image_root):
    # build stage: `python -m venv /opt/venv && pip install --require-hashes -r requirements-runtime.lock`.
    # No registry in tests: the lock's distributions are copied from the project venv, which CI installs
    # from requirements.lock, the runtime lock's versions and more (tests/test_lock.py).
    _, install_project = _install_commands()
    venv = image_root / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv)  # the project venv's pip installs into it
    py = venv / "bin" / "python"
    site = Path(sh(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    copy_locked_distributions(site)

    # then COPY pyproject.toml + footnote/ into /src, `pip install --no-deps --no-build-isolation .`: pip
    # builds a wheel with the locked setuptools and installs it (here: built by the project venv's pip).
    src, wheels = image_root / "src", image_root / "wheels"
    src.mkdir()
    shutil.copy(REPO / "pyproject.toml", src)
    shutil.copytree(REPO / "footnote", src / "footnote", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    sh(sys.executable, "-m", "pip", "wheel", *install_project[:-1], "--wheel-dir", wheels, src)
    pip_into_image = [sys.executable, "-m", "pip", "--python", py, "install", "--no-index"]
    sh(*pip_into_image, *install_project[:-1], *sorted(wheels.glob("*.whl")))
    # runtime stage: COPY --from=build /opt/venv /opt/venv (the same venv, unchanged)
    installed = Path(sh(py, "-c", "import footnote; print(footnote.__file__)", cwd=image_root).stdout.strip()).parent
    assert installed.is_relative_to(site), f"footnote must come from the wheel, not {installed}"
    image_path = json.loads(sh(py, "-c", "import json, sys; print(json.dumps(sys.path))", cwd=image_root).stdout)
    borrowed = [p for p in image_path if Path(p).is_relative_to(sys.prefix) or Path(p).is_relative_to(REPO)]
    assert not borrowed, f"the image must not reach into the project venv or checkout: {borrowed}"
    packaged = {p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()}
    shipped = {
        p.relative_to(REPO / "footnote").as_posix()
        for p in (REPO / "footnote").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    missing = sorted(shipped - packaged)  # checked last, so the rest of the runtime is still proven

    # models built at image build time, as root, then made world-readable (`chmod -R a+rX`)
    models = image_root / "models"
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "VIRTUAL_ENV": str(venv),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MODEL_CACHE": str(models),
        "HOME": str(image_root / "root"),
    }
    sh(py, "-c", _model_build_code(), env=env, cwd=image_root)
    env["HOME"] = str(image_root / "home")  # the image's user has its own home
    sh("chmod", "-R", "a+rX", models)

    # COPY bot.py /app/bot.py; the code and models are now read-only; only /data/index is the user's
    app = image_root / "app"
    app.mkdir()
    shutil.copy(REPO / "bot.py", app / "bot.py")
    data = image_root / "data"
    (data / "seeds").mkdir(parents=True)
    (data / "seeds" / "harbour.txt").write_text(
        "The Velmora harbour\nDate: 2024-05-01\n\nThe Velmora harbour was rebuilt in 1911. "
        "Its breakwater is 640 metres long. Fishing boats leave it before dawn.\n",
        encoding="utf-8",
    )
    for path in (data / "index", image_root / "home"):
        path.mkdir()
        os.chown(path, NOBODY, NOBODY)
    sh("chmod", "-R", "a-w", venv, app, models, data / "seeds")

    entrypoint = json.loads(dict(runtime_stage())["ENTRYPOINT"])
    assert entrypoint == ["python", "/app/bot.py"], entrypoint
    command = [str(py), str(app / "bot.py"), "ask", "--json", "When was the Velmora harbour rebuilt?"]
    env.update(SEEDS_DIR=str(data / "seeds"), INDEX_DIR=str(data / "index"), HEALTH_PORT="0")
    done = sh("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *command, env=env, cwd=app)
    answer = json.loads(done.stdout)
    assert answer["found"] and "1911" in answer["answer"], answer
    assert answer["citations"][0]["source"] == "harbour.txt"
    assert (data / "index" / "catalog.json").stat().st_uid == NOBODY, "the index was written by the user"
    assert all(p.stat().st_uid == 0 for p in models.rglob("*")), "the model cache must not be written at start"
    assert not missing, (
        f"pyproject.toml: files missing from the wheel, so the image would run without them: "
        f"{missing} (list them in [tool.setuptools.package-data])"
    )
