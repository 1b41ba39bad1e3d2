"""Views of a finished run: corpus entity index and holder table (:mod:`.corpus`), audit,
HTML report, spaCy documents and export (:mod:`.spacy_doc`), terminal view, diff. No stage
job imports them, so editing one re-runs no stage."""
