rule segment:
    input:
        docs=f"{OUT}/clean/shard-{{shard}}.jsonl",
        code=stage_code("pipeline.segment"),
        model=model_files("segment"),
    output:
        docs=f"{OUT}/segment/shard-{{shard}}.jsonl",
        manifest=f"{OUT}/segment/shard-{{shard}}.manifest.json",
    params:
        cfg=stage_params("segment"),
    threads: 1
    log:
        f"{OUT}/logs/segment/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/segment/shard-{{shard}}.tsv"
    shell:
        "{PYTHON:q} -m pipeline stage segment --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
