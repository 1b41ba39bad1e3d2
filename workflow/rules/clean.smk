checkpoint clean:
    input:
        raw=layout.raw_files(),
        code=layout.stage_code("clean"),
        model="models/charlm/ngrams.json.gz",
        roles="models/page_roles/model.crfsuite",
    output:
        docs=report(layout.shard_files("clean"), caption="../report/clean.rst", category="clean"),
        manifests=layout.shard_files("clean", ".manifest.json"),
        quarantine=f"{OUT}/clean/quarantine.jsonl",
    params:
        cfg=layout.stage_params("clean"),
        inputs=config["inputs"],
        shards=config["shards"],
        out_dir=parent_dir,
    threads: 1
    log:
        f"{OUT}/logs/clean.log",
    benchmark:
        f"{OUT}/benchmarks/clean.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage clean --inputs {params.inputs:q} --out-dir {params.out_dir:q}"
        " --shards {params.shards} --params {params.cfg:q} > {log:q} 2>&1"
