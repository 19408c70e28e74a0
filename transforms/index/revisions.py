"""Revision history: what a superseded article version said, and how the new one differs."""

from __future__ import annotations

import difflib
from datetime import datetime, timezone
from typing import Any

MAX_DIFF_CHARS = 4000


def text_diff(old: str, new: str, name: str) -> str:
    """A short unified diff of two texts, paragraph by paragraph; '' when they are equal."""
    lines = difflib.unified_diff(old.split("\n\n"), new.split("\n\n"), f"{name} (before)",
                                 f"{name} (after)", n=0, lineterm="")
    diff = "\n".join(lines)
    return diff if len(diff) <= MAX_DIFF_CHARS else diff[:MAX_DIFF_CHARS] + "\n... (cut)"


def revision_document(old: dict[str, Any], old_version: int, new: dict[str, Any],
                      replaced_at: datetime | None = None) -> dict[str, Any]:
    """The history record of `old` (an indexed article's source) being replaced by `new`."""
    return {
        "article_id": new["id"],
        "url": old.get("canonical_url") or old.get("url"),
        "version": old_version,
        "fingerprint": old.get("fingerprint"),
        "replaced_at": (replaced_at or datetime.now(timezone.utc)).isoformat(),
        "replaced_by": new.get("fingerprint"),
        "title": old.get("title"),
        "new_title": new.get("title"),
        "title_diff": text_diff(old.get("title") or "", new.get("title") or "", "title"),
        "body_diff": text_diff(old.get("body") or "", new.get("body") or "", "body"),
    }


def revision_id(article_id: str, version: int) -> str:
    """One history record per superseded version, however often the replacement is retried."""
    return f"{article_id}-{version}"
