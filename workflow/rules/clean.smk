rule clean:
    input:
        raw=raw_files(),
        code=stage_code("pipeline.ingest"),
        model="models/charlm/ngrams.json.gz",
    output:
        docs=shard_files("clean"),
        manifests=shard_files("clean", ".manifest.json"),
        quarantine=f"{OUT}/clean/quarantine.jsonl",
    params:
        cfg=stage_params("clean"),
        inputs=config["inputs"],
        shards=config["shards"],
        out_dir=f"{OUT}/clean",
    threads: 1
    log:
        f"{OUT}/logs/clean.log",
    benchmark:
        f"{OUT}/benchmarks/clean.tsv"
    shell:
        "{PYTHON:q} -m pipeline stage clean --inputs {params.inputs:q} --out-dir {params.out_dir:q}"
        " --shards {params.shards} --params {params.cfg:q} > {log:q} 2>&1"
