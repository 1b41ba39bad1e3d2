"""Segment stage on the throughput corpus: chars/s and peak memory of a batch run.

    python benchmarks/segment_bench.py [--processes 2] [--limit 5000]

Reads shared bench/xwlb_sample5000.jsonl (5,000 TV-news transcripts, ~2.5 M characters),
annotates all records in one ``annotate`` call, as the workflow does, and prints
characters per second and the peak RSS of this process plus its largest worker.
"""

import argparse
import json
import resource
import time

from pipeline.components import annotate_with
from pipeline.components import segment
from pipeline.paths import shared_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--limit", type=int, default=5000)
    args = parser.parse_args()
    lines = shared_path("bench", "xwlb_sample5000.jsonl").read_text(encoding="utf-8").splitlines()
    records = [{"id": d["id"], "text": d["text"]} for d in map(json.loads, lines[:args.limit])]
    chars = sum(len(r["text"]) for r in records)

    model = segment.load({"processes": args.processes})
    started = time.perf_counter()
    annotated = annotate_with(segment, records, model)
    seconds = time.perf_counter() - started
    tokens = sum(len(r["tok"]) for r in annotated)
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(json.dumps({"records": len(records), "chars": chars, "tokens": tokens, "processes": args.processes,
                      "seconds": round(seconds, 1), "chars_per_s": round(chars / seconds),
                      "peak_rss_mb": round(peak, 1)}))


if __name__ == "__main__":
    main()
