"""The stance stage: AI-risk stance per sentence, who holds it, and the document profile."""
