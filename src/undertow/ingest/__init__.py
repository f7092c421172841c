"""Adapters that turn the files communities leave into the canonical trace."""
