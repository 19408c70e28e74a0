"""URL identity: the form of a link that names one story, whatever feed or campaign it came from."""

from __future__ import annotations

from courlan import normalize_url


def canonical_url(url: str) -> str:
    """The URL that identifies a story: normalised, tracking parameters and fragment removed."""
    try:
        return normalize_url(url, strict=True)
    except ValueError:
        return url
