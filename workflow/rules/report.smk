rule report:
    input:
        artifacts=rules.publish.output.artifacts,
        summaries=layout.shard_files("summarize"),
        code=layout.stage_code("pipeline.report"),
    output:
        index=report(f"{OUT}/report/index.html", caption="../report/report.rst", category="Report"),
    params:
        out_dir=input_parent,
    threads: 1
    log:
        f"{OUT}/logs/report.log",
    benchmark:
        f"{OUT}/benchmarks/report.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage report --out-dir {params.out_dir:q} > {log:q} 2>&1"
