rule ner:
    input:
        docs=f"{OUT}/segment/shard-{{shard}}.jsonl",
        code=stage_code("pipeline.ner"),
        model=model_files("ner"),
    output:
        docs=f"{OUT}/ner/shard-{{shard}}.jsonl",
        manifest=f"{OUT}/ner/shard-{{shard}}.manifest.json",
    params:
        cfg=stage_params("ner"),
    threads: 1
    log:
        f"{OUT}/logs/ner/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/ner/shard-{{shard}}.tsv"
    shell:
        "{PYTHON:q} -m pipeline stage ner --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
