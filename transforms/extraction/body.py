"""The article body: trafilatura's main text as markdown paragraphs and section headings, without
what is not story text (the headline, the lead image caption, bylines, timestamps,
boilerplate), and with the closing credits line taken off the end. A dek it holds is told
apart in dek.py."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from newswire.schemas.article import Credits, LeadImage
from newswire.schemas.credits import join_caption, parse_credits_line, split_trailing_credit
from newswire.schemas.urls import absolute
from newswire.transforms.extraction.boilerplate import is_boilerplate, is_byline_or_timestamp, plain
from newswire.transforms.extraction.headline import leading_headlines

# The body as markdown with links. No URL is given: trafilatura would resolve every link on the
# page against the site root; we resolve the few the body keeps, against the page.
# Its fast mode first: it skips comparing its text with readability's and jusText's, a third of
# its time. Its text is taken unless it looks like a miss: a block longer than any paragraph (a
# dump of the page, or a story without paragraph breaks), or less of the page's text than the
# share under which trafilatura itself retries. Then the whole cascade runs.
_EXTRACTIONS = tuple(Extractor(output_format="python", comments=False, formatting=True,
                               links=True, images=False, tables=False, with_metadata=False,
                               fast=fast) for fast in (True, False))
_LONGEST_PARAGRAPH = 1500  # characters
_LEAST_PAGE_SHARE = 0.2
_PAGE_TEXT = etree.XPath("normalize-space(/html/body)")
_NOT_TEXT = etree.XPath("/html/body//*[self::script or self::style or self::noscript or "
                        "self::template]")
_RELATIVE_TARGET = re.compile(r"\]\((?P<open><?)(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?P<target>[^)>\s]+)")
# A page's figcaptions, whole and by their paragraphs.
_CAPTIONS = etree.XPath("//figcaption/descendant-or-self::*[self::figcaption or self::p]")
# The blocks of a social network's embedded post, as its embed code marks them.
_EMBEDDED_POSTS = etree.XPath(
    "//blockquote[contains(concat(' ', normalize-space(@class), ' '), ' twitter-tweet ') or "
    "contains(concat(' ', normalize-space(@class), ' '), ' instagram-media ') or "
    "contains(concat(' ', normalize-space(@class), ' '), ' tiktok-embed ')]")
# A markdown link and its anchor text. A block that is one link and nothing else is a teaser of
# another story ("Also read" lists), and so is a list whose every item is mostly links.
_LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\([^)\s]*\)")
_LIST_ITEM = re.compile(r"^[-*+] ")
_LINKED_SHARE = 0.5
# A JSON string in a script, and the escaped paragraph tag that says it holds article HTML.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.){200,}"')
_ESCAPED_PARAGRAPH = "\\u003cp"
# A heading over a list of other stories, which ends the story.
_OTHER_STORIES = re.compile(
    r"(?:most\ (?:read|popular|viewed|shared)|popular(?:\ (?:now|stories))?$|more\ from\ |related\ "
    r"(?:stories|articles|news)|recommended|trending|read\ next|you\ (?:may|might)\ also\ like|"
    r"sign\ up\ for\ |top\ stories|meistgelesen|weitere\ artikel|lo\ m\u00e1s\ le\u00eddo|"
    r"les\ plus\ lus)", re.IGNORECASE | re.VERBOSE)
_MAX_TEASER = 250  # characters of a teaser's dek in a list of other stories
# A byline line in the story: its authors' names and a few words ("Von", "and", "published").
_WORD = re.compile(r"\w+")
_MAX_BYLINE_WORDS = 3
_MIN_BYLINE_NAME = 5
_MIN_DESCRIPTION_WORDS = 4  # a picture's title of fewer words is a label ("Photo", "Ana Ruiz")


def body_paragraphs(tree: HtmlElement, url: str, image: LeadImage | None,
                    headlines: Sequence[str] = ()) -> list[str]:
    """The story's markdown paragraphs and section headings (## ...): trafilatura's main text
    without the headline (# ..., a heading holding the title, the first of `headlines`, or a
    heading before the story's first paragraph that is one of the other `headlines` the page
    gives), teasers (a block that is only a link), embedded social posts, the lead image's
    caption and credit, any picture's figcaption, boilerplate, and byline and timestamp lines."""
    leaks: set[str] = set()
    if image:
        captions = (image.caption, image.credit, join_caption(image.caption, image.credit))
        leaks = {plain(text) for text in captions} - {""}
    leaks |= _caption_texts(tree)
    headline = " ".join(headlines[0].split()).casefold() if headlines else ""
    posts = ["".join(post.text_content().split()) for post in _EMBEDDED_POSTS(tree)]
    kept: list[tuple[str, str]] = []  # (markdown, plain text)
    for block, text in _main_text(tree, url):
        if (text and not block.startswith("# ") and text not in leaks
                and not _caption_and_credit(text, leaks)
                and not (headline and block.startswith("#") and headline in text.casefold())
                and not _LINK.fullmatch(block) and not _is_teaser_list(block)
                and not _in_post(text, posts)
                and not is_boilerplate(text) and not is_byline_or_timestamp(text)):
            kept.append((block, text))
    kept = kept[leading_headlines([block for block, _ in kept], headlines):]
    return [block for block, _ in kept[:_story_end(kept)]]


def without_bylines(paragraphs: list[str], authors: Sequence[str]) -> list[str]:
    """The paragraphs without a line that is the byline of the article's `authors`: their names
    and a few words around them ("Von Ana Ruiz", "[Ana Ruiz](/author/ana-ruiz)published"), in
    any language; a name this short ("dpa") may be a word of a sentence, and is not looked for."""
    names = [name.casefold() for name in authors if len(name) >= _MIN_BYLINE_NAME]

    def byline(text: str) -> bool:
        rest = text.casefold()
        for name in names:
            rest = rest.replace(name, " ")
        return rest != text.casefold() and len(_WORD.findall(rest)) <= _MAX_BYLINE_WORDS

    return [paragraph for paragraph in paragraphs if not byline(plain(paragraph))]


def _main_text(tree: HtmlElement, url: str) -> list[tuple[str, str]]:
    """trafilatura's main text as (markdown, plain text) blocks: its fast mode's, unless that
    looks like a miss, else its whole cascade's."""
    fast, whole = _EXTRACTIONS
    blocks = _blocks(tree, url, fast)
    size = sum(len(text) for _, text in blocks)
    if (size and max(len(text) for _, text in blocks) <= _LONGEST_PARAGRAPH
            and size >= _LEAST_PAGE_SHARE * _page_text_size(tree)):
        return blocks
    return _blocks(tree, url, whole)


def _blocks(tree: HtmlElement, url: str, options: Extractor) -> list[tuple[str, str]]:
    """One trafilatura run's text as (markdown, plain text) blocks, links resolved."""
    document = trafilatura.bare_extraction(tree, options=options)
    markdown = _resolve_links(document.text, url) if document else ""
    return [(block.strip(), plain(block)) for block in markdown.split("\n\n")]


def _page_text_size(tree: HtmlElement) -> int:
    """The characters of text a reader sees on the page, whitespace collapsed."""
    hidden = sum(len(" ".join(element.text_content().split())) for element in _NOT_TEXT(tree))
    return len(_PAGE_TEXT(tree)) - hidden


def _story_end(kept: list[tuple[str, str]]) -> int:
    """Where the story ends: at a heading in its second half that names a list of other stories
    ("## Most read", "## More from the Courier", "## Sign up for news updates") and is followed
    only by teasers: their headlines as headings and blocks of a teaser's size (a sidebar's
    heading amid the story's paragraphs is not its end); else its end."""
    for number in range(len(kept) // 2, len(kept)):
        block, text = kept[number]
        rest = kept[number + 1:]
        if block.startswith("#") and _OTHER_STORIES.match(text.lstrip("# ")) and all(
                len(after) <= _MAX_TEASER for _, after in rest) and any(
                after.startswith("#") for after, _ in rest):
            return number
    return len(kept)


def embedded_article(tree: HtmlElement) -> HtmlElement | None:
    """The article's HTML where a script-rendered page carries it only as a JSON string in an
    inline script (hydration state): the longest such string with paragraphs, parsed."""
    best = ""
    for script in tree.iter("script"):
        text = script.text or ""
        if _ESCAPED_PARAGRAPH in text or "<p" in text:
            for match in _JSON_STRING.finditer(text):
                if len(match[0]) > len(best) and _ESCAPED_PARAGRAPH in match[0]:
                    best = match[0]
    if not best:
        return None
    try:
        return load_html(f"<html><body><article>{json.loads(best)}</article></body></html>")
    except ValueError:
        return None


def split_credits(paragraphs: list[str]) -> tuple[list[str], Credits | None]:
    """The paragraphs without a closing credits line ("(Reporting by A; Editing by B)")."""
    credits = parse_credits_line(plain(paragraphs[-1])) if paragraphs else None
    return (paragraphs[:-1], credits) if credits else (paragraphs, None)


def _resolve_links(markdown: str, url: str) -> str:
    """Markdown with its relative link targets made absolute against the page URL."""

    def resolve(match: re.Match[str]) -> str:
        if match.start() and markdown[match.start() - 1] == "\\":  # an escaped "\](" is text
            return match[0]
        return f"]({match['open']}{absolute(url, match['target']) or match['target']}"

    return _RELATIVE_TARGET.sub(resolve, markdown)


def _in_post(text: str, posts: list[str]) -> bool:
    """Whether a block is part of an embedded social post (a tweet's text, its attribution)."""
    squeezed = "".join(text.split())
    return any(squeezed in post for post in posts)


def _is_teaser_list(block: str) -> bool:
    """Whether a block is a list whose every item is mostly links: other stories, not this one."""
    items = block.split("\n")
    return all(_LIST_ITEM.match(item) and sum(
        len(plain(link)) for link in _LINK.findall(item)) >= _LINKED_SHARE * len(plain(item))
        for item in items)


def _caption_and_credit(text: str, captions: set[str]) -> bool:
    """Whether a block is one of the page's `captions` and the credit after it ("... Bild:
    Name"); the credit's pattern is tried only on a block that begins as a caption does."""
    return any(text.startswith(caption) for caption in captions) and (
        split_trailing_credit(text)[0] in captions)


def _caption_texts(tree: HtmlElement) -> set[str]:
    """The text of every figcaption on the page and of each paragraph in one, and the words
    a picture's title gives to describe it (before a credit after a bar): a caption of a later
    picture, which the extractor may keep as a paragraph, is not story text. (An alt text may
    be a sentence of the story said again for those who cannot see the picture.)"""
    captions = {" ".join(caption.text_content().split()) for caption in _CAPTIONS(tree)}
    for img in tree.iter("img"):
        title = (img.get("title") or "").split(" | ")[0]
        if len(title.split()) >= _MIN_DESCRIPTION_WORDS:
            captions.add(" ".join(title.split()))
    return captions - {""}
