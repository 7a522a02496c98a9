"""Imports point one way (STYLE.md "Which way imports go"): walk every module under footnote/ with `ast`.

settings → text → reading/corpus → catalog → chunking/embeddings/models/store → keywords → indexer → retrieval
→ answering → feedback/gaps → engine → cli, health, bot. Function-level (lazy) imports count too: they point
the same way once they run."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "footnote"

# The core, bottom up: a module imports from its own layer or the ones before it, never from a later one.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("footnote.settings", "footnote.lean", "footnote.memory", "footnote.atomic"),
    ("footnote.text", "footnote.questions"),
    ("footnote.reading", "footnote.corpus"),
    ("footnote.uploads",),  # writes into seeds/ what the corpus reader accepts
    ("footnote.catalog",),
    ("footnote.chunking", "footnote.embeddings", "footnote.models", "footnote.store"),
    ("footnote.keywords",),
    ("footnote.indexer",),
    ("footnote.retrieval",),
    ("footnote.answering",),
    ("footnote.feedback", "footnote.gaps"),  # logs of answers, shared by the engine and the front ends
)
CORE = tuple(module for layer in LAYERS for module in layer)
FRONT_ENDS = ("footnote.engine", "footnote.cli", "footnote.bot", "footnote.health", "click", "aiohttp", "discord")

# What footnote/bot may take from the rest of the package: module → names (None: anything).
BOT_MAY_IMPORT: dict[str, set[str] | None] = {
    "footnote.engine": None,
    "footnote.settings": None,
    "footnote.answering.answer": None,
    "footnote.feedback": None,
    "footnote.store": {"IndexUnavailable", "IndexWriteError"},
    "footnote.indexer": {"IndexBusy", "IndexReport"},
    "footnote.corpus": {"ARTICLE_SUFFIXES"},  # /add's upload filter: a constant, no reading or parsing
    "footnote.health": {"start_health_server"},  # the other front end, started beside the bot
}

ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
# Modules that may print to stderr (never stdout): the model build's progress and the bot's token errors.
STDERR_PRINTERS = {"footnote.models.e5_build", "footnote.bot.runner"}


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    names: tuple[str, ...]  # ("*",) for `import x`
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(tree: ast.AST, name: str, is_package: bool) -> list[Import]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, ("*",), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([module] if module else []))
            names = tuple(alias.name for alias in node.names)
            found.append(Import(module, names, node.lineno))
            if not node.module:  # `from . import x` imports the submodule x
                found += [Import(f"{module}.{n}", ("*",), node.lineno) for n in names]
    return found


def within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def load_modules() -> dict[str, tuple[Path, ast.AST, bool]]:
    return {
        module_name(p): (p, ast.parse(p.read_text(encoding="utf-8"), str(p)), p.name == "__init__.py")
        for p in sorted(PACKAGE.rglob("*.py"))
    }


MODULES = load_modules()


def layer_of(module: str) -> int | None:
    """The core layer a module belongs to; None outside the core (the engine, front ends, other packages)."""
    return next((i for i, layer in enumerate(LAYERS) if within(module, layer)), None)


def direction_errors(name: str, tree: ast.AST, is_package: bool) -> list[str]:
    errors = []
    for imp in imports_of(tree, name, is_package):
        where = f"{name}:{imp.line} imports {imp.module}"
        if within(imp.module, "discord") and not within(name, "footnote.bot"):
            errors.append(f"{where}: discord belongs under footnote/bot only")
        if within(name, CORE) and within(imp.module, FRONT_ENDS):
            errors.append(f"{where}: a module left of the engine imports a front end")
        elif (own := layer_of(name)) is not None and (theirs := layer_of(imp.module)) is not None and theirs > own:
            errors.append(f"{where}: {LAYERS[own][0]}'s layer imports from a later layer ({LAYERS[theirs][0]}'s)")
        if within(name, "footnote.bot") and within(imp.module, "footnote") and not within(imp.module, "footnote.bot"):
            allowed = BOT_MAY_IMPORT.get(imp.module, set())
            if imp.module == "footnote":
                allowed = set()
            extra = [] if allowed is None else [n for n in imp.names if n not in allowed]
            if extra:
                errors.append(f"{where} ({', '.join(extra)}): the bot goes through the engine, not its internals")
    return errors


def env_readers(tree: ast.AST) -> list[int]:
    lines = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in ENV_NAMES]
    lines += [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "os" and {a.name for a in n.names} & ENV_NAMES
    ]
    return lines


def _is_stderr(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in ("stderr", "__stderr__")


def output_writes(tree: ast.AST) -> tuple[list[int], list[int]]:
    """(lines writing to stdout, lines printing to stderr)."""
    stdout, stderr = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("stdout", "__stdout__"):
            stdout.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            file = next((k.value for k in node.keywords if k.arg == "file"), None)
            (stderr if _is_stderr(file) else stdout).append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "echo":
            err = next((k.value for k in node.keywords if k.arg == "err"), None)
            if not (isinstance(err, ast.Constant) and err.value is True):
                stdout.append(node.lineno)
    return stdout, stderr


def test_the_walk_sees_the_whole_package_and_its_imports():
    assert {
        "footnote.settings",
        "footnote.engine",
        "footnote.cli",
        "footnote.bot.client",
        "footnote.answering.compose",
        "footnote.models.e5_runtime",
    } <= set(MODULES)
    _, tree, pkg = MODULES["footnote.engine"]
    assert "footnote.retrieval" in {i.module for i in imports_of(tree, "footnote.engine", pkg)}
    _, tree, pkg = MODULES["footnote.models.e5_runtime"]  # relative imports resolve to absolute names
    assert "footnote.models.e5_format" in {i.module for i in imports_of(tree, "footnote.models.e5_runtime", pkg)}


@pytest.mark.parametrize(
    "name, source, needle",
    [
        ("footnote.cli", "from discord.ext import commands\n", "discord"),
        ("footnote.answering.compose", "def f():\n    from footnote.engine import Engine\n", "front end"),
        ("footnote.store", "import click\n", "front end"),
        ("footnote.bot.cogs.ask", "from footnote.retrieval import HybridRetriever\n", "internals"),
        ("footnote.bot.cogs.ask", "from footnote.indexer import Indexer\n", "internals"),
        ("footnote.bot.cogs.ask", "from footnote.answering.select import SentenceSelector\n", "internals"),
        ("footnote.keywords", "from footnote.answering.evidence import terms\n", "later layer"),
        ("footnote.text", "from footnote.corpus import Sentence\n", "later layer"),
        ("footnote.retrieval", "def f():\n    from footnote.answering.select import SentenceSelector\n", "later layer"),
        ("footnote.catalog", "from footnote.indexer import Indexer\n", "later layer"),
    ],
)
def test_the_checker_catches_a_wrong_way_import(name, source, needle):
    errors = direction_errors(name, ast.parse(source), False)
    assert len(errors) == 1 and needle in errors[0], errors


def test_every_module_has_its_place():
    """A new module must be given a layer (or be the engine or a front end), so the order covers it."""
    placed = CORE + FRONT_ENDS
    assert [name for name in MODULES if name != "footnote" and not within(name, placed)] == []


def test_imports_point_the_right_way():
    errors = [e for name, (_, tree, pkg) in MODULES.items() for e in direction_errors(name, tree, pkg)]
    assert errors == []


def test_only_settings_reads_the_environment():
    assert env_readers(ast.parse("import os\nx = os.environ.get('A')\n")) == [2]  # the check itself works
    readers = {name: lines for name, (_, tree, _) in MODULES.items() if (lines := env_readers(tree))}
    assert set(readers) <= {"footnote.settings"}, readers
    assert "footnote.settings" in readers


def test_only_the_cli_writes_to_stdout():
    assert output_writes(ast.parse("import sys\nprint(1)\nprint(2, file=sys.stderr)\nsys.stdout.write('x')\n")) == (
        [2, 4],
        [3],
    )  # the check itself works
    stdout = {name: w[0] for name, (_, tree, _) in MODULES.items() if (w := output_writes(tree))[0]}
    assert set(stdout) <= {"footnote.cli"}, stdout
    stderr = {name: w[1] for name, (_, tree, _) in MODULES.items() if (w := output_writes(tree))[1]}
    assert set(stderr) <= STDERR_PRINTERS | {"footnote.cli"}, stderr
