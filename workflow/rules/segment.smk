rule segment:
    input:
        docs=after_clean(checkpoints),
        code=layout.stage_code("segment"),
        model=layout.model_files("segment"),
        user_dict=config["segment"]["user_dict"],
    output:
        docs=report(layout.shard_pattern("segment"), caption="../report/segment.rst", category="segment"),
        manifest=layout.shard_pattern("segment", ".manifest.json"),
    params:
        cfg=layout.stage_params("segment"),
    threads: 1
    log:
        f"{OUT}/logs/segment/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/segment/shard-{{shard}}.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage segment --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
