"""What the Snakemake rules need to know about files: shard names, the project modules a
stage runs (Snakemake does not track imports itself), model files and inputs.

Kept here, not in the ``.smk`` files, so the rule files read like tables and this logic
is importable and tested like the rest.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pipeline.paths import ConfigError
from pipeline.running.versions import code_closure
from pipeline.stages import stage_modules
from pipeline.components.clean.readers import find_inputs


def check_output_root(config: dict, basedir: str | Path) -> None:
    """Refuse, before any work, an ``outputs`` that is a file or lies inside an input folder
    (the run would read its own logs and records as new input)."""
    base = Path(basedir)
    out = (base / config["outputs"]).resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"outputs: {config['outputs']} is a file, not a folder; give a folder for the results")
    for entry in config["inputs"]:
        folder = (base / entry).resolve()
        if folder.is_dir() and (out == folder or folder in out.parents):
            raise ConfigError(
                f"outputs: {config['outputs']} lies inside the input folder {entry}, so a run would read its own "
                "outputs as input; put the outputs folder elsewhere (--config outputs=…)"
            )


class WorkflowLayout:
    def __init__(self, config: dict, basedir: str):
        check_output_root(config, basedir)
        self.config = config
        self.basedir = Path(basedir)
        self.out = config["outputs"]
        self.shards = [f"{number:03d}" for number in range(config["shards"])]

    def shard_files(self, stage: str, suffix: str = ".jsonl") -> list[str]:
        return [f"{self.out}/{stage}/shard-{shard}{suffix}" for shard in self.shards]

    def shard_pattern(self, stage: str, suffix: str = ".jsonl") -> str:
        return f"{self.out}/{stage}/shard-{{shard}}{suffix}"

    def stage_code(self, stage: str) -> list[str]:
        """The project source files a stage's job runs: its configured component and the job
        code (:func:`pipeline.stages.stage_modules`), so editing a view, an evaluator, a
        trainer or another stage's component re-runs nothing before the edited stage."""
        return stage_modules(stage, self.config.get(stage))

    def view_code(self, module: str) -> list[str]:
        """The project source files a whole-batch view (corpus views, publish, audit, report) runs."""
        return list(code_closure(module))

    def stage_params(self, stage: str) -> str:
        """A stage's config section as JSON, passed through params so changes are tracked."""
        return json.dumps(self.config.get(stage, {}), ensure_ascii=False, sort_keys=True)

    def model_files(self, stage: str) -> list[str]:
        """Every file of the model a stage loads, so a new model re-runs the stage."""
        folder = self.basedir / self.config[stage]["model"]
        # A model card describes the model; editing it changes no output byte.
        return sorted(p.relative_to(self.basedir).as_posix() for p in folder.rglob("*") if p.is_file() and p.suffix != ".md")

    def raw_files(self) -> list[str]:
        """Regular input files (broken links, FIFOs and devices are quarantined by the clean
        stage; as rule inputs Snakemake would open them to checksum them)."""
        return [p.as_posix() for p in find_inputs(self.config["inputs"]) if p.is_file()]


def after_clean(checkpoints, suffix: str = ".jsonl"):
    """An input function for a shard of the clean checkpoint.

    Clean is a checkpoint so that, after it runs, Snakemake looks at each shard again:
    a shard whose bytes did not change (same checksum) does not re-run the stages after
    it. Adding documents therefore re-computes only the shards they land in.
    """

    def clean_shard(wildcards) -> str:
        folder = Path(checkpoints.clean.get().output.quarantine).parent
        return str(folder / f"shard-{wildcards.shard}{suffix}")

    return clean_shard


def parent_dir(wildcards, output) -> str:
    """The folder of a rule's first output (a params function, so paths are not hardcoded)."""
    return str(Path(output[0]).parent)


def input_parent(wildcards, input) -> str:
    """The folder of a rule's first input (the output root, for rules reading a whole run)."""
    return str(Path(input[0]).parent)


def output_root(wildcards, output) -> str:
    """The output root for a rule whose first output sits one folder down (report/pages.json)."""
    return str(Path(output[0]).parent.parent)


def cancel_idle_timers(log=None) -> None:
    """End Snakemake's pending rate-limiter timers once the workflow is over (an
    ``onsuccess``/``onerror`` hook).

    After every scheduling round the job rate limiter (``max-jobs-per-timespan``, 100/1s by
    default) starts a one-second ``threading.Timer`` that only wakes the scheduler. Timers
    are not daemon threads, so the last one kept every finished run alive for up to a
    second more. Nothing waits on them after the last job.
    """
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
