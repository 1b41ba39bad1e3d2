"""The whole workflow on the seeds, in a scratch copy of the repository: three documents
through five stages, identical bytes on a second run, and a code change re-running only
the stage it touches and the ones after it."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from conftest import copy_workflow, pipeline_cli, snakemake

STAGES = ["clean", "segment", "ner", "stance", "summarize"]


def artifact_hashes(out: Path) -> dict[str, str]:
    """Every artifact except logs, benchmarks, timing and the report (which shows timings)."""
    return {
        path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.parts[len(out.parts)] not in ("logs", "benchmarks", "report") and not path.name.endswith(".timing.json")
    }


def planned_rules(dry_run_output: str) -> set[str]:
    """Rule names from the job-stats table of ``snakemake -n``."""
    table = dry_run_output.split("Job stats:", 1)[1].split("Reasons:", 1)[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", table, re.M)} - {"total"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"))
    snakemake(workdir)
    return workdir


def test_workflow_seeds_give_three_documents_through_every_stage(workdir):
    index = json.loads((workdir / "outputs" / "artifacts.json").read_text())
    assert index["documents"] == 3 and index["quarantined"] == 0
    for stage in STAGES:
        assert index["stages"][stage]["counts"]["docs_out"] == 3
    listed = json.loads(pipeline_cli(workdir, "ls", "--json").stdout.splitlines()[-1])
    assert sorted(row["id"] for row in listed) == ["000_43a1417fc8ec1a8e", "002_666ca9bd639e9b56-1", "002_666ca9bd639e9b56-2"]
    record = json.loads(pipeline_cli(workdir, "show", "002_666ca9bd639e9b56-1", "--json").stdout.splitlines()[-1])
    for layer in ("text", "meta", "sentences", "tok", "ner", "entities", "stance", "summary"):
        assert layer in record, layer
    text = record["text"]
    for word, begin, end in record["tok"]:
        assert text[begin:end] == word
    for mention, _, begin, end in record["ner"]:
        assert text[begin:end] == mention


def test_every_stage_output_follows_the_record_schema(workdir):
    from pipeline.record.schema import record_errors
    from pipeline.stages import STAGES as TABLE, component_for

    layers: set[str] = set()
    for entry in TABLE:
        layers |= set(component_for(entry.name).assigns)
        for shard in sorted((workdir / "outputs" / entry.name).glob("shard-*.jsonl")):
            for line in shard.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                assert record_errors(record) == [], (entry.name, record["id"])
                assert set(record) == layers, (entry.name, sorted(set(record) ^ layers))


def test_workflow_rerun_in_fresh_folder_is_byte_identical(workdir):
    snakemake(workdir, "--config", "outputs=outputs_again")
    first = artifact_hashes(workdir / "outputs")
    second = artifact_hashes(workdir / "outputs_again")
    assert first == second and len(first) > 20


def test_workflow_nothing_to_do_when_nothing_changed(workdir):
    assert "Nothing to be done" in snakemake(workdir, "-n")


def test_workflow_stage_code_change_reruns_that_stage_and_later_only(workdir):
    versions_before = {s: (workdir / "outputs/versions" / s / "latest").read_text() for s in STAGES}
    with open(workdir / "pipeline" / "components" / "ner.py", "a", encoding="utf-8") as handle:
        handle.write("\n# a change to the NER stage's code\n")
    planned = planned_rules(snakemake(workdir, "-n"))
    assert planned == {"ner", "stance", "summarize", "corpus_views", "publish", "audit", "report_pages", "report", "all"}
    snakemake(workdir)
    versions_after = {s: (workdir / "outputs/versions" / s / "latest").read_text() for s in STAGES}
    assert versions_after["clean"] == versions_before["clean"] and versions_after["segment"] == versions_before["segment"]
    assert versions_after["ner"] != versions_before["ner"]
    listed = json.loads(pipeline_cli(workdir, "artifacts", "--json").stdout.splitlines()[-1])
    ner_versions = [row for row in listed if row["stage"] == "ner"]
    assert len(ner_versions) == 2 and sum(row["latest"] for row in ner_versions) == 1


AFTER_STAGE = {  # what a change to one stage's own code must plan (and nothing before it)
    "clean": {"clean", "segment", "ner", "stance", "summarize"},
    "segment": {"segment", "ner", "stance", "summarize"},
    "ner": {"ner", "stance", "summarize"},
    "stance": {"stance", "summarize"},
    "summarize": {"summarize"},
}
VIEWS = {"corpus_views", "publish", "audit", "report_pages", "report", "all"}


def planned_after_touching(workdir: Path, relative: str) -> set[str]:
    """The rules ``snakemake -n`` plans after a comment is appended to one file; the file's
    bytes and time stamp are put back afterwards, so the next check starts clean."""
    path = workdir / relative
    before, stat = path.read_bytes(), path.stat()
    try:
        path.write_bytes(before + "\n# touched by a test\n".encode())
        out = snakemake(workdir, "-n")
        return set() if "Nothing to be done" in out else planned_rules(out)
    finally:
        path.write_bytes(before)
        import os

        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("stage,module", [
    ("clean", "pipeline/components/clean/cleaner.py"),
    ("segment", "pipeline/components/segment.py"),
    ("ner", "pipeline/components/ner.py"),
    ("stance", "pipeline/components/stance/speakers.py"),
    ("summarize", "pipeline/components/summarize.py"),
])
def test_versions_cover_exactly_the_code_a_stage_runs(workdir, stage, module):
    planned = planned_after_touching(workdir, module)
    assert planned - VIEWS == AFTER_STAGE[stage]


@pytest.mark.parametrize("relative", [
    "pipeline/views/spacy_doc.py",      # where pipeline.load lives
    "pipeline/views/report.py",
    "pipeline/evaluate/stance.py",
    "pipeline/train/ner.py",
    "pipeline/api.py",
    "models/ner/MODEL_CARD.md",         # a card describes the model; no output byte changes
])
def test_views_evaluators_trainers_and_cards_rerun_no_stage(workdir, relative):
    planned = planned_after_touching(workdir, relative)
    assert not planned & set(STAGES), planned


def test_workflow_killed_midway_resumes_to_identical_outputs(tmp_path, workdir):
    """SIGKILL Snakemake and its jobs in the middle of a run; the restarted run must give
    the same bytes as an uninterrupted one (the module fixture's run)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "killed").mkdir()
    (tmp_path / "reference").mkdir()
    killed = copy_workflow(tmp_path / "killed")
    process = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "2"], cwd=killed,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    # Wait until some stage has finished a shard, then kill the whole process group.
    deadline = time.time() + 120
    while time.time() < deadline and not list((killed / "outputs" / "segment").glob("shard-*.jsonl")):
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "outputs" / "artifacts.json").exists(), "the run finished before it was killed"
    restarted = pipeline_cli(killed, "run")  # removes the stale lock, re-makes incomplete outputs
    assert "stale lock" in restarted.stderr and "documents: 3" in restarted.stderr
    reference = copy_workflow(tmp_path / "reference")
    snakemake(reference)
    assert artifact_hashes(killed / "outputs") == artifact_hashes(reference / "outputs")


def test_slurm_profile_dry_run_plans_every_stage_with_its_resources(tmp_path):
    """`snakemake -n --profile profiles/slurm`: the SLURM executor plugin loads, every stage is
    planned per shard, and the profile's per-rule resources reach the jobs."""
    workdir = copy_workflow(tmp_path)
    output = snakemake(workdir, "-n", "--profile", "profiles/slurm", "--config", "shards=3")
    table = output.split("Job stats:", 1)[1].split("Reasons:", 1)[0]
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}
    assert counts["clean"] == 1 and counts["corpus_views"] == 1 and counts["report_pages"] == 1
    assert all(counts[stage] == 3 for stage in ("segment", "ner", "stance", "summarize"))
    jobs = {m.group(1): m.group(2) for m in re.finditer(r"^(?:local)?(?:checkpoint|rule) (\w+):\n(?:    .*\n)*?    resources: (.*)$", output, re.M)}
    assert "mem_mb=8000" in jobs["clean"] and "runtime=120" in jobs["clean"]
    assert "runtime=300" in jobs["report_pages"]
    assert "mem_mb=2000" in jobs["audit"] and "runtime=30" in jobs["audit"]  # the defaults
