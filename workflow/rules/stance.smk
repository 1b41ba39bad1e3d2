rule stance:
    input:
        docs=layout.shard_pattern("ner"),
        code=layout.stage_code("stance"),
        lexicon=config["stance"]["lexicon"],
        gazetteer=config["stance"]["gazetteer"],
    output:
        docs=report(layout.shard_pattern("stance"), caption="../report/stance.rst", category="stance"),
        manifest=layout.shard_pattern("stance", ".manifest.json"),
    params:
        cfg=layout.stage_params("stance"),
    threads: 1
    log:
        f"{OUT}/logs/stance/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/stance/shard-{{shard}}.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage stance --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
