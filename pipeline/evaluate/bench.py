"""``python -m pipeline bench``: batch speed, re-runs and reproducibility on 5,000 articles.

Steps, each a real ``snakemake --cores 2`` run in a scratch folder under ``outputs/bench``:
(1) a full run on all but 50 articles, (2) a no-change re-run, (3) a re-run after adding
the 50 held-back articles as a new input file, (4) a full run of the same 5,000 articles
in a fresh folder, whose every artifact must hash the same as (3)'s. jieba's plain
segmentation of the same texts is timed in this process as a reference.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pipeline.paths import REPO_ROOT, shared_path
from pipeline.stages import STAGE_NAMES

HELD_BACK = 50


def snakemake(inputs: list[str], outputs: str, cores: int) -> float:
    config = [f"inputs={json.dumps(inputs)}", f"outputs={outputs}"]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), "--quiet", "all", "--config", *config],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode:
        raise RuntimeError(f"snakemake failed ({outputs}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return elapsed


def artifact_hashes(out: Path) -> dict[str, str]:
    """Hashes of every current artifact; logs, benchmarks, timing files and the report
    (which shows timings) measure rather than produce, and ``versions/`` is history."""
    return {
        path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file()
        and path.relative_to(out).parts[0] not in ("logs", "benchmarks", "versions", "report")
        and not path.name.endswith(".timing.json")
    }


def job_benchmarks(out: Path) -> list[dict]:
    """Snakemake's per-job benchmark rows (seconds, max RSS) with the rule name."""
    rows = []
    for path in sorted((out / "benchmarks").rglob("*.tsv")):
        rule = path.relative_to(out / "benchmarks").parts[0].removesuffix(".tsv")
        with open(path, encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                rows.append({"rule": rule, "s": float(row["s"]), "max_rss": float(row["max_rss"] if row["max_rss"] != "-" else 0)})
    return rows


def jieba_seconds(texts: list[str]) -> float:
    import jieba

    jieba.initialize()
    started = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return time.perf_counter() - started


def clean_seconds(texts: list[str], megabytes: int, scratch: Path) -> float:
    """Seconds the clean component takes on one plain-text file of about ``megabytes`` MB of
    news (the corpus's texts, one paragraph each): cleaning must stay linear in a file."""
    from pipeline.components.clean.ingest import ingest

    chosen, size = [], 0
    for text in texts * (1 + megabytes * 1_000_000 // max(1, sum(len(t.encode()) for t in texts))):
        if size >= megabytes * 1_000_000:
            break
        chosen.append(text)
        size += len(text.encode("utf-8")) + 2
    path = scratch / f"one-{megabytes}mb.txt"
    path.write_text("\n\n".join(chosen), encoding="utf-8")
    started = time.perf_counter()
    ingest([str(path)], {})
    return round(time.perf_counter() - started, 2)


def long_sentence_seconds(texts: list[str], chars: int = 200_000) -> float:
    """Seconds for one sentence of ``chars`` characters (news text with its end punctuation
    taken out) through every stage in-process (:func:`pipeline.annotate`), models loaded."""
    import pipeline

    pipeline.annotate("人工智能的发展引起了专家的关注。")  # load every model first
    run_on = "".join(text.replace("。", "，").replace("！", "，").replace("？", "，") for text in texts)
    sentence = (run_on * (1 + chars // max(1, len(run_on))))[:chars] + "。"
    started = time.perf_counter()
    pipeline.annotate(sentence)
    return round(time.perf_counter() - started, 2)


def stance_sentences_per_second() -> float:
    """AI sentences per second of the configured stance component, model loaded
    (:mod:`pipeline.evaluate.stance_speed`, on the AI sentences of train_docs)."""
    import yaml

    from pipeline.api import component
    from pipeline.config import with_defaults
    from pipeline.evaluate import stance_speed

    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    model = component("stance", with_defaults("stance", config.get("stance"))).model
    if not hasattr(model, "stats"):  # the cue rules: no engine to time
        return None
    return stance_speed.measure(model, None, None)["ai_sentences_per_s"]


def run(corpus: Path, scratch: Path, cores: int) -> dict:
    lines = corpus.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    shutil.rmtree(scratch, ignore_errors=True)
    inputs = scratch / "input"
    inputs.mkdir(parents=True)
    (inputs / "batch.jsonl").write_text("\n".join(lines[:-HELD_BACK]) + "\n", encoding="utf-8")
    first, fresh = (scratch / "run1").as_posix(), (scratch / "run2").as_posix()

    full_s = snakemake([inputs.as_posix()], first, cores)
    stats = job_benchmarks(Path(first))
    noop_s = snakemake([inputs.as_posix()], first, cores)
    (inputs / "new.jsonl").write_text("\n".join(lines[-HELD_BACK:]) + "\n", encoding="utf-8")
    incremental_s = snakemake([inputs.as_posix()], first, cores)
    snakemake([inputs.as_posix()], fresh, cores)
    identical = artifact_hashes(Path(first)) == artifact_hashes(Path(fresh))

    per_stage = {stage: round(sum(r["s"] for r in stats if r["rule"] == stage), 2) for stage in STAGE_NAMES}
    chars = sum(len(text) for text in texts[:-HELD_BACK])
    return {
        "docs": len(texts) - HELD_BACK,
        "chars": chars,
        "full_s": round(full_s, 2),
        "chars_per_s": round(chars / full_s),
        "noop_s": round(noop_s, 2),
        "incremental_s": round(incremental_s, 2),
        "identical": identical,
        "peak_rss_mb": round(max(r["max_rss"] for r in stats), 1),
        "per_stage_s": per_stage,
        "jieba_seg_s": round(jieba_seconds(texts[:-HELD_BACK]), 2),
        "clean_1mb_s": clean_seconds(texts, 1, scratch),
        "clean_4mb_s": clean_seconds(texts, 4, scratch),
        "stance_ai_sentences_per_s": stance_sentences_per_second(),
        "long_sentence_200k_s": long_sentence_seconds(texts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline bench", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=None, help="JSON-lines corpus (default: $ZHNLP_SHARED/bench/xwlb_sample5000.jsonl)")
    parser.add_argument("--scratch", default="outputs/bench", help="scratch folder (default: outputs/bench)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus) if args.corpus else shared_path("bench", "xwlb_sample5000.jsonl")
    result = run(corpus, REPO_ROOT / args.scratch, args.cores)
    print(f"{'measure':<16} value")
    for key, value in result.items():
        print(f"{key:<16} {value}")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0
