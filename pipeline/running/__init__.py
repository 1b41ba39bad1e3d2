"""Running the workflow's jobs: the shard job (:mod:`.shard_job`), the clean batch job
(:mod:`.clean_job`), publish (:mod:`.publish`), versions (:mod:`.versions`), atomic files
(:mod:`.files`), caches (:mod:`.caches`), what the rule files need (:mod:`.workflow`) and the
progress display (:mod:`.progress`)."""
