# The HTML report: one page per document (displaCy entities, stance, summary), rendered from
# the summarize shards beside the corpus views and publish, and the overview, which also
# needs the published artifacts and the holder table.
rule report_pages:
    input:
        summaries=layout.shard_files("summarize"),
        code=layout.view_code("pipeline.views.report"),
    output:
        pages=f"{OUT}/report/pages.json",
    params:
        out_dir=output_root,
    threads: 1
    log:
        f"{OUT}/logs/report_pages.log",
    benchmark:
        f"{OUT}/benchmarks/report_pages.tsv"
    conda:
        "../envs/pipeline.yaml"
    shell:
        "python -m pipeline stage report-pages --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule report:
    input:
        artifacts=rules.publish.output.artifacts,
        summaries=layout.shard_files("summarize"),
        code=layout.view_code("pipeline.views.report"),
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
