"""The dek (standfirst, summary): the sentence or two the page shows between its headline and
its story. It is the article's summary where the page shows one, and is kept out of the body.

Found in two places: as the first block of the extracted story (marked as a dek, or a heading
that is the page's description), or between the `<h1>` and the story's first paragraph, where
the extractor left it out (a block that is the page's description, else the last one marked as
a dek).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree
from lxml.html import HtmlElement

from newswire.transforms.extraction.boilerplate import is_boilerplate, is_byline_or_timestamp, plain
from newswire.transforms.extraction.headline import is_headline, leading_headlines

# An element named as a dek by class, id or microdata.
_DEK_NAME = re.compile(r"dek|standfirst|subtitle|subhead|summary|description|strapline|teaser|"
                       r"excerpt|abstract|alternativeheadline", re.IGNORECASE)
_MAX_DEK = 600
_MIN_DEK_WORDS = 4
# Elements whose whole text is the given text: where a block of the extracted story sits.
_ELEMENTS_WITH_TEXT = etree.XPath(
    "(//p|//h2|//span|//div[not(.//p or .//div)])[normalize-space()=$text]")
# The blocks that follow the page's first headline, as far as a dek may sit from it.
_AFTER_HEADLINE = etree.XPath(
    "(//h1)[1]/following::*[self::p or self::h2 or self::div[not(.//p or .//div)]]"
    "[position() <= 200]")
# What holds no dek: a picture's caption and the page's furniture, and a picture's wrapper by
# its name, this near (a caption may repeat the page's description).
_NOT_DEK = frozenset({"figure", "figcaption", "picture", "nav", "aside", "footer", "form",
                      "button", "menu", "ul", "ol", "time", "address"})
_PICTURE_NAME = re.compile(r"image|img|photo|foto|picture|gallery|lightbox|caption|slide",
                           re.IGNORECASE)
_PICTURE_DEPTH = 4


def split_dek(tree: HtmlElement, paragraphs: list[str], descriptions: Sequence[str],
              headlines: Sequence[str]) -> tuple[str, list[str]]:
    """The page's dek as plain text ("" if it shows none) and the story's markdown paragraphs
    without it (and without a headline heading that followed it)."""
    if not paragraphs:
        return "", paragraphs
    described = {_folded(text) for text in descriptions} - {""}
    first = plain(paragraphs[0])
    if (first.startswith("#") and _folded(first.lstrip("# ")) in described) or (
            not first.startswith("#") and _is_marked_dek(tree, first)):
        rest = paragraphs[1:]
        return first.lstrip("# "), rest[leading_headlines(rest, headlines):]
    dek = _before_story(tree, first, described, headlines)
    if dek and any(_folded(plain(block).lstrip("# ")) == _folded(dek) for block in paragraphs):
        return "", paragraphs  # the story holds it: the walk passed the story's start unseen
    return dek, paragraphs


def _before_story(tree: HtmlElement, first: str, described: set[str],
                  headlines: Sequence[str]) -> str:
    """The dek between the first headline and the story's first paragraph: a block that is one
    of the page's descriptions, else the last block marked as a dek; "" if the story's first
    paragraph is not found that near."""
    opening = first.lstrip("# ")[:80]
    named = ""
    for element in _AFTER_HEADLINE(tree):
        text = " ".join(element.text_content().split())
        if opening and text.startswith(opening):
            return named
        is_description = _folded(text) in described
        if (is_description or _named_as_dek(element)) and _could_be_dek(element, text, headlines):
            if is_description:
                return text
            named = text
    return ""


def _could_be_dek(element: HtmlElement, text: str, headlines: Sequence[str]) -> bool:
    """Whether a block before the story may be its dek: a few words of prose, not a caption or
    furniture, not the headline again, a byline, a timestamp or boilerplate."""
    return (len(text.split()) >= _MIN_DEK_WORDS and len(text) <= _MAX_DEK
            and not any(node.tag in _NOT_DEK for node in element.iterancestors())
            and not _in_picture(element)
            and not is_headline(text, headlines)
            and not is_byline_or_timestamp(text) and not is_boilerplate(text))


def _is_marked_dek(tree: HtmlElement, text: str) -> bool:
    """Whether `text` is the whole text of an element marked as a dek."""
    if len(text) > _MAX_DEK:
        return False
    return any(_named_as_dek(element) or _in_header(element)
               for element in _ELEMENTS_WITH_TEXT(tree, text=text))


def _named_as_dek(element: HtmlElement) -> bool:
    """Whether the element, or its parent, is named as a dek."""
    return any(_DEK_NAME.search(" ".join(node.get(a, "") for a in ("class", "id", "itemprop")))
               for node in (element, element.getparent()) if node is not None)


def _in_picture(element: HtmlElement) -> bool:
    """Whether the element sits in a wrapper named as a picture's (a gallery, an image widget)."""
    node: HtmlElement | None = element
    for _ in range(_PICTURE_DEPTH):
        if node is None:
            return False
        if _PICTURE_NAME.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
        node = node.getparent()
    return False


def _in_header(element: HtmlElement) -> bool:
    return any(node.tag == "header" for node in element.iterancestors())


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()
