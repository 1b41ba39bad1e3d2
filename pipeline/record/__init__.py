"""The document record: its JSON Schema (``schema.json``), codec (:mod:`.codec`), text
utilities (:mod:`.text`) and offsets back to the raw input (:mod:`.offsets`)."""
