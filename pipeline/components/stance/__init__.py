"""Stance components: the learned AI-risk stance model (``learned``) beside the cue rules."""
