"""Small classifiers for the stance model: trained with PyTorch, run with NumPy.

A ``Network`` is a standardiser, one or two dense layers and a softmax temperature. Training
uses torch (full batch, fixed seed, one thread: the same data give the same weights); the
shipped component only multiplies NumPy arrays, so the stance stage does not import torch.

* ``fit(x, y, hidden=0)``: multinomial logistic regression (``hidden=0``) or a one-hidden-layer
  MLP, optionally class-balanced (macro-F1 weighs the rare dismissive class like the others).
* ``Network.temperature``: fitted on out-of-fold logits by ``fit_temperature`` so the
  probabilities (hence the stance score and confidence) are calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Network:
    mean: np.ndarray
    scale: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]]  # (weights in×out, bias); ReLU between layers
    temperature: float = 1.0
    classes: tuple[str, ...] = field(default=())

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = (np.asarray(x, dtype=np.float32) - self.mean) / self.scale
        for k, (weights, bias) in enumerate(self.layers):
            h = h @ weights + bias
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return h

    def proba(self, x: np.ndarray) -> np.ndarray:
        z = self.logits(x) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        arrays = {f"{prefix}mean": self.mean, f"{prefix}scale": self.scale,
                  f"{prefix}temperature": np.asarray(self.temperature, dtype=np.float32)}
        for k, (weights, bias) in enumerate(self.layers):
            arrays[f"{prefix}w{k}"], arrays[f"{prefix}b{k}"] = weights, bias
        return arrays

    @classmethod
    def from_arrays(cls, arrays, prefix: str, classes: tuple[str, ...]) -> "Network":
        layers, k = [], 0
        while f"{prefix}w{k}" in arrays:
            layers.append((arrays[f"{prefix}w{k}"].astype(np.float32), arrays[f"{prefix}b{k}"].astype(np.float32)))
            k += 1
        return cls(arrays[f"{prefix}mean"].astype(np.float32), arrays[f"{prefix}scale"].astype(np.float32),
                   layers, float(arrays[f"{prefix}temperature"]), classes)


def fit(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    hidden: int = 0,
    l2: float = 1e-3,
    epochs: int = 300,
    balanced: bool = True,
    dropout: float = 0.2,
    seed: int = 13,
    classes: tuple[str, ...] = (),
) -> Network:
    """Train a logistic regression (``hidden=0``) or an MLP on standardised ``x``."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    x = np.asarray(x, dtype=np.float32)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-4
    xt = torch.from_numpy((x - mean) / scale)
    yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    weights = len(y) / (n_classes * np.maximum(counts, 1.0)) if balanced else np.ones(n_classes, dtype=np.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(weights.astype(np.float32)))
    if hidden:
        net = torch.nn.Sequential(torch.nn.Dropout(dropout), torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(),
                                  torch.nn.Dropout(dropout), torch.nn.Linear(hidden, n_classes))
    else:
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], n_classes))
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-2 if not hidden else 3e-3, weight_decay=0.0)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for _ in range(epochs):  # full batch: a few thousand rows
        net.train()
        optimiser.zero_grad()
        loss = loss_fn(net(xt), yt) + l2 * sum((m.weight ** 2).sum() for m in linears)
        loss.backward()
        optimiser.step()
    net.eval()
    layers = [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()) for m in linears]
    return Network(mean.astype(np.float32), scale.astype(np.float32), layers, 1.0, classes)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature minimising the negative log-likelihood of held-out logits."""
    best, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 61)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best
