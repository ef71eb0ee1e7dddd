"""Awareness campaigns and literacy modules (built on the registry, never on the web layer)."""
