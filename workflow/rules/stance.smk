rule stance:
    input:
        docs=f"{OUT}/ner/shard-{{shard}}.jsonl",
        code=stage_code("pipeline.stance"),
    output:
        docs=f"{OUT}/stance/shard-{{shard}}.jsonl",
        manifest=f"{OUT}/stance/shard-{{shard}}.manifest.json",
    params:
        cfg=stage_params("stance"),
    threads: 1
    log:
        f"{OUT}/logs/stance/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/stance/shard-{{shard}}.tsv"
    shell:
        "{PYTHON:q} -m pipeline stage stance --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
