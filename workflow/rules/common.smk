# Helpers shared by the rule files: paths, shard names, and what each stage depends on.
import json
import sys

sys.path.insert(0, workflow.basedir)

from pipeline.artifacts import code_closure
from pipeline.readers import find_inputs

OUT = config["outputs"]
SHARDS = [f"{number:03d}" for number in range(config["shards"])]
PYTHON = sys.executable


def stage_code(module):
    """The project modules a stage runs (Snakemake does not track imports itself)."""
    return sorted(set(code_closure(module)) | set(code_closure("pipeline.runner")))


def stage_params(stage):
    """A stage's config section as JSON: passed through params so changes are tracked."""
    return json.dumps(config.get(stage, {}), ensure_ascii=False, sort_keys=True)


def model_files(stage):
    """Every file of the model a stage loads, so a new model re-runs the stage."""
    folder = Path(workflow.basedir) / config[stage]["model"]
    return sorted(str(p.relative_to(workflow.basedir)) for p in folder.rglob("*") if p.is_file())


def raw_files():
    """Input files that exist (broken links and unreadable files are quarantined, not missing)."""
    return [str(p) for p in find_inputs(config["inputs"]) if p.exists()]


def shard_files(stage, suffix=".jsonl"):
    return expand(f"{OUT}/{stage}/shard-{{shard}}{suffix}", shard=SHARDS)
