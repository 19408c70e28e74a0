"""Whether a heading in the page's text is its headline again, in the same or another wording:
the extractor keeps it as a section heading, and the body must not begin with it."""

from __future__ import annotations

import re
from collections.abc import Sequence

# A heading is the headline again when this share of its words (at least this many) are in it.
_WORD = re.compile(r"\w+")
_HEADLINE_SHARE = 0.75
_MIN_HEADLINE_WORDS = 3


def is_headline(heading: str, headlines: Sequence[str]) -> bool:
    """Whether a heading is the page's headline in another wording: nearly all its words are
    words of one of the headlines the page gives (a kicker joined on, punctuation changed). A
    headline given that ends as a sentence does ("... im Einsatz.") is a dek, not a headline."""
    words = _WORD.findall(heading.lstrip("# ").casefold())
    return len(words) >= _MIN_HEADLINE_WORDS and any(
        sum(word in given for word in words) >= _HEADLINE_SHARE * len(words)
        for given in ({*_WORD.findall(text.casefold())} for text in headlines
                      if not text.rstrip().endswith(".")))


def leading_headlines(blocks: Sequence[str], headlines: Sequence[str]) -> int:
    """How many of the markdown blocks at the start are headings that are the headline."""
    count = 0
    while count < len(blocks) and blocks[count].startswith("#") and is_headline(
            blocks[count], headlines):
        count += 1
    return count
