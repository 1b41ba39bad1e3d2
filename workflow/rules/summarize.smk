rule summarize:
    input:
        docs=f"{OUT}/stance/shard-{{shard}}.jsonl",
        code=stage_code("pipeline.summarize"),
    output:
        docs=f"{OUT}/summarize/shard-{{shard}}.jsonl",
        manifest=f"{OUT}/summarize/shard-{{shard}}.manifest.json",
    params:
        cfg=stage_params("summarize"),
    threads: 1
    log:
        f"{OUT}/logs/summarize/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/summarize/shard-{{shard}}.tsv"
    shell:
        "{PYTHON:q} -m pipeline stage summarize --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
