"""The committed model on the seed articles: modern names and Latin-script runs stay whole."""

import re

import pytest

from pipeline.components import annotate_with
from pipeline.components import segment
from pipeline.paths import MODELS_DIR, REPO_ROOT

SEEDS = sorted((REPO_ROOT / "raw").glob("*.txt"))
NAMES = ["埃隆·马斯克", "X.ai", "X.AI", "OpenAI", "DeepMind", "亚马逊云科技", "Bedrock", "ChatGPT", "GPT-4", "eBay"]

pytestmark = pytest.mark.skipif(
    not (MODELS_DIR / "segmenter" / "model.crfsuite").exists() or not SEEDS,
    reason="trained segmenter or seed articles missing",
)


@pytest.fixture(scope="module")
def seed_records():
    model = segment.load({"processes": 1})
    records = [{"id": path.stem, "text": path.read_text(encoding="utf-8")} for path in SEEDS]
    return annotate_with(segment, records, model)


def boundaries(record):
    return {begin for _, begin, _ in record["tok"]} | {end for _, _, end in record["tok"]}


@pytest.mark.parametrize("name", NAMES)
def test_segment_seed_names_are_one_token(seed_records, name):
    seen = 0
    for record in seed_records:
        cuts = boundaries(record)
        for match in re.finditer(re.escape(name), record["text"]):
            seen += 1
            inside = set(range(match.start() + 1, match.end()))
            assert not inside & cuts, f"{name} split in {record['id']} at {match.start()}"
    assert seen, f"{name} does not occur in the seeds"


def test_segment_seed_latin_runs_are_never_split(seed_records):
    for record in seed_records:
        cuts = boundaries(record)
        for run in re.finditer(r"[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*", record["text"]):
            assert not set(range(run.start() + 1, run.end())) & cuts, run.group()
