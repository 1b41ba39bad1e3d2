"""The clean stage: readers (files → units), the cleaner (unit → articles with traced text),
HTML, the character model for layout joins, and the batch ingest (checks, duplicates, shards)."""
