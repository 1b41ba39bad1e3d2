"""Cross-validation folds over whole pages: a seeded shuffle dealt round-robin, so a page's
lines or mentions are never split between training and scoring."""

from __future__ import annotations

import random


def shuffled_folds(count: int, seed: int, folds: int) -> list[int]:
    """Fold number of each of ``count`` items (in their order)."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    fold = [0] * count
    for rank, item in enumerate(order):
        fold[item] = rank % folds
    return fold
