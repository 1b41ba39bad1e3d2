rule summarize:
    input:
        docs=layout.shard_pattern("stance"),
        code=layout.stage_code("summarize"),
    output:
        docs=report(layout.shard_pattern("summarize"), caption="../report/summarize.rst", category="summarize"),
        manifest=layout.shard_pattern("summarize", ".manifest.json"),
    params:
        cfg=layout.stage_params("summarize"),
    threads: 1
    log:
        f"{OUT}/logs/summarize/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/summarize/shard-{{shard}}.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage summarize --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
