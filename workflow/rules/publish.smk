rule corpus_views:
    input:
        ner=shard_files("ner"),
        stance=shard_files("stance"),
        code=stage_code("pipeline.corpus"),
    output:
        entities=f"{OUT}/corpus/entity_index.jsonl",
        holders=f"{OUT}/corpus/holder_table.jsonl",
    params:
        out_dir=f"{OUT}/corpus",
    threads: 1
    log:
        f"{OUT}/logs/corpus_views.log",
    benchmark:
        f"{OUT}/benchmarks/corpus_views.tsv"
    shell:
        "{PYTHON:q} -m pipeline stage corpus --input {input.stance:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule publish:
    input:
        summaries=shard_files("summarize"),
        manifests=[shard_files(stage, ".manifest.json") for stage in ("clean", "segment", "ner", "stance", "summarize")],
        corpus=rules.corpus_views.output,
        code=stage_code("pipeline.artifacts"),
    output:
        artifacts=f"{OUT}/artifacts.json",
    params:
        out_dir=OUT,
    threads: 1
    log:
        f"{OUT}/logs/publish.log",
    benchmark:
        f"{OUT}/benchmarks/publish.tsv"
    shell:
        "{PYTHON:q} -m pipeline stage publish --out-dir {params.out_dir:q} > {log:q} 2>&1"
