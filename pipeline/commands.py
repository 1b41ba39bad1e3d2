"""Inspection and run commands of ``python -m pipeline`` (``eval`` is in ``pipeline.cli``).

    python -m pipeline run [snakemake args…]   run the workflow (snakemake --cores 2)
    python -m pipeline stages [--json]         the stage table: order, components, layers, code
    python -m pipeline ls [--json]             documents of the latest run
    python -m pipeline show DOC_ID [--json] [--layer L …]
    python -m pipeline artifacts [--json]      stage versions, latest marked
    python -m pipeline audit [--json]          account for every input record
    python -m pipeline diff A B [--json]       what changed between two runs
    python -m pipeline export --format docbin|jsonl|conll
    python -m pipeline stage …                 one workflow job (called by the rules)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.paths import REPO_ROOT
from pipeline.stages import FINAL_STAGE, STAGE_NAMES
from pipeline.record.codec import read_jsonl

EXPORT_SUFFIX = {"docbin": "spacy", "jsonl": "jsonl", "conll": "conll"}


def _records(out_dir: Path) -> list[dict]:
    shards = sorted((out_dir / FINAL_STAGE).glob("shard-*.jsonl"))
    if not shards:
        raise SystemExit(f"error: no results in {out_dir / FINAL_STAGE}; run the workflow first (python -m pipeline run)")
    records = []
    for shard in shards:
        records.extend(read_jsonl(shard))
    return sorted(records, key=lambda r: r["id"])


def cmd_ls(args) -> int:
    rows = [
        {"id": r["id"], "title": r["meta"].get("title", ""), "source": r["meta"].get("source_file", ""), "chars": len(r["text"])}
        for r in _records(Path(args.outputs))
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row['id']:<32} {row['chars']:>6}  {row['title'][:40]}  ({row['source']})")
    return 0


def cmd_show(args) -> int:
    records = {r["id"]: r for r in _records(Path(args.outputs))}
    record = records.get(args.doc_id)
    if record is None:
        close = [doc_id for doc_id in records if args.doc_id in doc_id][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else "; list them with `python -m pipeline ls`"
        print(f"error: no document {args.doc_id!r}{hint}", file=sys.stderr)
        return 1
    unknown = sorted(set(args.layer or ()) - set(record))
    if unknown:
        print(f"error: {args.doc_id} has no layer {', '.join(unknown)}; its layers: {', '.join(sorted(set(record) - {'id'}))}", file=sys.stderr)
        return 1
    if args.json:
        shown = {k: v for k, v in record.items() if k in set(args.layer) | {"id"}} if args.layer else record
        print(json.dumps(shown, ensure_ascii=False, sort_keys=True))
        return 0
    from pipeline.views.show import render

    render(record, layers=args.layer)
    return 0


def cmd_stages(args) -> int:
    """The stage table for the workflow config (``config/config.yaml``)."""
    import yaml

    from pipeline.stages import table

    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8")) or {}
    rows = table(config)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row['name']:<10} {row['component']:<28} requires {','.join(row['requires']) or '-':<24} "
              f"assigns {','.join(row['assigns'])}")
    return 0


def cmd_artifacts(args) -> int:
    from pipeline.running.versions import list_versions

    order = {stage: k for k, stage in enumerate(STAGE_NAMES)}  # pipeline order, not alphabetical
    rows = sorted(list_versions(Path(args.outputs) / "versions"), key=lambda r: (order.get(r["stage"], len(order)), r["modified"], r["version"]))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for row in rows:
        mark = "*" if row["latest"] else " "
        print(f"{mark} {row['stage']:<10} {row['version']}  {row['method'] or '':<28} docs={row['docs']}")
    return 0


def cmd_audit(args) -> int:
    from pipeline.views.audit import run_audit

    try:
        counts = run_audit(args.outputs, args.cases)
    except FileNotFoundError as error:
        print(f"error: {error.filename}: missing; run the workflow first", file=sys.stderr)
        return 1
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(counts, sort_keys=True))
        return 0
    for key, value in counts.items():
        print(f"{key:<12} {value}")
    return 0


def cmd_diff(args) -> int:
    from pipeline.views.diff import diff_paths, render

    try:
        result = diff_paths(args.a, args.b)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))
        return 0
    render(result)
    return 0


def cmd_export(args) -> int:
    from pipeline.views import spacy_doc as spacy_io
    from pipeline.running.files import atomic_write_text, write_jsonl

    records = spacy_io.read_records(Path(args.outputs))
    target = Path(args.out or f"{args.outputs}/export/docs.{EXPORT_SUFFIX[args.format]}")
    if args.format == "jsonl":
        write_jsonl(target, records)
    elif args.format == "conll":
        atomic_write_text(target, spacy_io.to_conll([spacy_io.record_to_doc(r) for r in records]))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(spacy_io.to_docbin([spacy_io.record_to_doc(r) for r in records]))
    print(f"{len(records)} documents → {target}")
    return 0


def _snakemake_running_here() -> bool:
    """Whether another Snakemake process works in this repository (Linux /proc)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if "snakemake" in (proc / "cmdline").read_bytes().decode(errors="replace") and Path(os.readlink(proc / "cwd")) == REPO_ROOT:
                return True
        except OSError:
            continue
    return False


RUN_USAGE = """usage: python -m pipeline run [KEY=VALUE ...] [--verbose] [snakemake options ...]

Run the workflow (snakemake --cores 2) with a progress display and one summary line.
Snakemake's own log goes to <outputs>/logs/snakemake.log; --verbose shows it here instead.

options:
  KEY=VALUE      a config setting for this run (also accepted after --config), e.g.
                   inputs='["/data/batch1"]' outputs=out_batch1 shards=8
  --verbose      show Snakemake's log as it runs
  -h, --help     this help; `snakemake --help` lists Snakemake's own options

config keys (workflow/schemas/config.schema.json; defaults in brackets):
"""


def _run_help() -> str:
    from pipeline.config import schema

    lines = []
    for key, prop in schema()["properties"].items():
        if prop.get("type") == "object":
            lines.append(f"  {key}.*  {prop.get('description', '')}")
            for sub, subprop in prop["properties"].items():
                lines.append(f"    {key}.{sub} [{json.dumps(subprop.get('default'), ensure_ascii=False)}]  {subprop.get('description', '')}")
        else:
            lines.append(f"  {key} [{json.dumps(prop.get('default'), ensure_ascii=False)}]  {prop.get('description', '')}")
    return RUN_USAGE + "\n".join(lines)


def cmd_run(argv: list[str]) -> int:
    """Run the workflow with a per-stage progress display and a closing summary line.

    A run that was killed leaves Snakemake's lock behind; when no Snakemake process is
    working here any more, the lock is stale and is removed before starting again
    (incomplete outputs are then re-made: ``rerun-incomplete`` in the workflow profile).
    """
    import yaml

    from pipeline.paths import ConfigError
    from pipeline.running.progress import run_with_progress
    from pipeline.running.workflow import check_output_root

    if "-h" in argv or "--help" in argv:
        print(_run_help())
        return 0
    verbose = "--verbose" in argv
    settings = [arg for arg in argv if "=" in arg and not arg.startswith("-")]
    passthrough = [arg for arg in argv if arg not in settings and arg not in ("--verbose", "--config")]
    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8")) or {}
    sections: dict[str, dict] = {}  # stance.threshold=0.8 → stance={"threshold": 0.8} for Snakemake
    for setting in settings:
        key, _, value = setting.partition("=")
        section, dot, sub = key.partition(".")
        if dot:
            sections.setdefault(section, {})[sub] = yaml.safe_load(value)
        else:
            config[key] = yaml.safe_load(value)
    for section, values in sections.items():
        config[section] = {**(config.get(section) or {}), **values}
    try:
        check_output_root(config, REPO_ROOT)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    locks = REPO_ROOT / ".snakemake" / "locks"
    if locks.exists() and any(locks.iterdir()) and not _snakemake_running_here():
        print("pipeline: removing the stale lock of a run that was killed", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "snakemake", "--unlock"], cwd=REPO_ROOT, capture_output=True)

    outputs = REPO_ROOT / config["outputs"]
    overrides = []
    if settings:  # the run's settings laid over config/config.yaml (Snakemake merges config files)
        overrides = outputs / "logs" / "run-config.yaml"
        overrides.parent.mkdir(parents=True, exist_ok=True)
        overrides.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8")
        overrides = ["--configfile", str(overrides)]
    cores = [] if "--cores" in passthrough or "-c" in passthrough else ["--cores", "2"]
    command = [sys.executable, "-m", "snakemake", *cores, *passthrough, *overrides]
    return run_with_progress(command, outputs, REPO_ROOT, None if verbose else outputs / "logs" / "snakemake.log")


def cmd_stage(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline stage")
    parser.add_argument("stage", choices=[*STAGE_NAMES, "corpus", "publish", "report", "report-pages"])
    parser.add_argument("--input", nargs="+")
    parser.add_argument("--output")
    parser.add_argument("--inputs", nargs="+")
    parser.add_argument("--out-dir")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--params", default="{}")
    args = parser.parse_args(argv)
    params = json.loads(args.params)
    if args.stage == "clean":
        from pipeline.running.clean_job import run_clean

        result = run_clean(args.inputs, args.out_dir, args.shards, params)
    elif args.stage == "corpus":
        from pipeline.views.corpus import build

        result = build(args.input, args.out_dir)
    elif args.stage == "publish":
        from pipeline.running.publish import run_publish

        result = run_publish(args.out_dir)
    elif args.stage == "report":
        from pipeline.views.report import build_report

        result = build_report(args.out_dir)
    elif args.stage == "report-pages":
        from pipeline.views.report import build_pages

        result = build_pages(args.out_dir)
    else:
        from pipeline.running.shard_job import run_stage

        result = run_stage(args.stage, args.input[0], args.output, params)
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "stage":
        return cmd_stage(argv[1:])
    if argv and argv[0] == "run":
        return cmd_run(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--outputs", default="outputs", help="output folder of the run (default: outputs)")
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("ls", parents=[common], help="list documents of the latest run")
    ls.add_argument("--json", action="store_true")
    show = sub.add_parser("show", parents=[common], help="show one document across all layers")
    show.add_argument("doc_id")
    show.add_argument("--json", action="store_true")
    show.add_argument("--layer", action="append", help="only these layers (repeatable)")
    stages = sub.add_parser("stages", help="the stage table: order, components, layers, code modules")
    stages.add_argument("--json", action="store_true")
    artifacts = sub.add_parser("artifacts", parents=[common], help="list stage versions")
    artifacts.add_argument("--json", action="store_true")
    audit = sub.add_parser("audit", parents=[common], help="account for every input record")
    audit.add_argument("--cases", help="cases.json of a generated bad-input corpus (adds cases_tried)")
    audit.add_argument("--json", action="store_true")
    diff = sub.add_parser("diff", help="compare two runs or artifact versions")
    diff.add_argument("a")
    diff.add_argument("b")
    diff.add_argument("--json", action="store_true")
    export = sub.add_parser("export", parents=[common], help="export documents for spaCy and other tools")
    export.add_argument("--format", choices=["docbin", "jsonl", "conll"], required=True)
    export.add_argument("--out", help="target file (default: <outputs>/export/docs.<ext>)")
    sub.add_parser("run", help="run the workflow (extra args go to snakemake)")
    sub.add_parser("eval", help="measure a stage: eval {segment,ner,stance,summary} --json")
    args = parser.parse_args(argv)
    return {"ls": cmd_ls, "show": cmd_show, "stages": cmd_stages, "artifacts": cmd_artifacts, "audit": cmd_audit, "diff": cmd_diff, "export": cmd_export}[args.command](args)
