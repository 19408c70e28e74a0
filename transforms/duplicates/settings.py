"""How long duplicates are remembered and how alike two copies of a story are: the defaults
the options read, free of Beam."""

DEFAULT_TTL = 3 * 24 * 3600
"""Seconds a seen entry or article key is remembered (`Deduplicate`)."""

DEFAULT_THRESHOLD = 0.3
"""Estimated Jaccard similarity above which two articles are one story (`LinkNearDuplicates`)."""
