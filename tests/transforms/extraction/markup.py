"""Minimal pages of our own for the extraction tests: a short story, a head, JSON-LD."""

from __future__ import annotations

import json

STORY = ("<p>The harbour reopened on Wednesday after a winter of repairs to its stone walls, "
         "which the storms of January had breached in three places.</p><p>Fishing boats "
         "returned first, followed by the ferry that links the two islands, and by noon the "
         "quay was as busy as before, the harbour master said.</p>")


def page(head: str = "", body: str = STORY, lang: str = "en") -> str:
    return (f"<html lang='{lang}'><head><title>Harbour reopens | Courier</title>{head}</head>"
            f"<body><article>{body}</article></body></html>")


def jsonld(data: object, wrap: str = "{}") -> str:
    return f"<script type='application/ld+json'>{wrap.format(json.dumps(data))}</script>"


NEWS = {"@type": "NewsArticle", "headline": "Harbour reopens",
        "datePublished": "2026-03-04T12:00:00Z"}
