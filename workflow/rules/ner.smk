rule ner:
    input:
        docs=layout.shard_pattern("segment"),
        code=layout.stage_code("ner"),
        model=layout.model_files("ner"),
        gazetteer=config["ner"]["gazetteer"],
    output:
        docs=report(layout.shard_pattern("ner"), caption="../report/ner.rst", category="ner"),
        manifest=layout.shard_pattern("ner", ".manifest.json"),
    params:
        cfg=layout.stage_params("ner"),
    threads: 1
    log:
        f"{OUT}/logs/ner/shard-{{shard}}.log",
    benchmark:
        f"{OUT}/benchmarks/ner/shard-{{shard}}.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage ner --input {input.docs:q} --output {output.docs:q}"
        " --params {params.cfg:q} > {log:q} 2>&1"
