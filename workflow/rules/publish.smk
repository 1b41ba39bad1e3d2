rule corpus_views:
    input:
        stance=layout.shard_files("stance"),
        code=layout.view_code("pipeline.views.corpus"),
    output:
        entities=f"{OUT}/corpus/entity_index.jsonl",
        holders=f"{OUT}/corpus/holder_table.jsonl",
    params:
        out_dir=parent_dir,
    threads: 1
    log:
        f"{OUT}/logs/corpus_views.log",
    benchmark:
        f"{OUT}/benchmarks/corpus_views.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage corpus --input {input.stance:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule publish:
    input:
        summaries=layout.shard_files("summarize"),
        manifests=[
            layout.shard_files(stage, ".manifest.json")
            for stage in STAGE_NAMES
        ],
        corpus=rules.corpus_views.output,
        code=layout.view_code("pipeline.running.publish"),
    output:
        artifacts=f"{OUT}/artifacts.json",
    params:
        out_dir=parent_dir,
    threads: 1
    log:
        f"{OUT}/logs/publish.log",
    benchmark:
        f"{OUT}/benchmarks/publish.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage publish --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule audit:
    input:
        artifacts=rules.publish.output.artifacts,
        code=layout.view_code("pipeline.views.audit"),
    output:
        ledger=f"{OUT}/audit/ledger.jsonl",
        summary=f"{OUT}/audit/summary.json",
    params:
        out_dir=input_parent,
    threads: 1
    log:
        f"{OUT}/logs/audit.log",
    benchmark:
        f"{OUT}/benchmarks/audit.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline audit --outputs {params.out_dir:q} --json > {log:q} 2>&1"
