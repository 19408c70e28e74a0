"""Page metadata read once from the parsed tree: JSON-LD, Open Graph, meta tags, links, times."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

# Words that mark a <time> as the story's publication or as an update of it.
_TIME_MARKS = re.compile(r"publish|pubdate|created|posted|modif|updat|edited")
_UPDATE_MARKS = frozenset({"modif", "updat", "edited"})
_REPEATED = {"article:tag"}  # meta properties a page may give several times, joined with commas
# Meta tags that name the page's section: article:section, parsely-section, content_category.
_SECTION_META = re.compile(r"(?:^|[:._-])(?:section|category)$")
# Meta tags that name the author, in the order they are trusted; a page may give several.
AUTHOR_META = ("author", "article:author", "sailthru.author", "parsely-author", "dc.creator")
# Blocks a page shows over or beside the article: login and consent modals, popups.
_JOINED_TAGS = {"sup", "sub"}  # a heading's elements whose edges never part words
_OVERLAY = re.compile(r"modal|login|log-in|signin|sign-in|popup|overlay|dialog", re.IGNORECASE)
# JSON-LD types by how surely they are the article: news articles, other articles and posts,
# then the page itself. Any "...NewsArticle" or "...Article" type counts.
_POSTS = {"BlogPosting", "LiveBlogPosting", "SocialMediaPosting", "Report"}
_PAGES = {"WebPage", "ItemPage", "AboutPage"}
# The JSON-LD objects that may hold the article inside another: WebPage.mainEntity, @graph.
_NESTED = ("@graph", "mainEntity", "mainEntityOfPage")
# A script body wrapped for old parsers: <!-- ... -->, //<![CDATA[ ... //]]>.
_WRAPPER = re.compile(r"^\s*(?:<!--|(?://\s*|/\*\s*)?<!\[CDATA\[(?:\s*\*/)?)|"
                      r"(?:-->|(?://\s*|/\*\s*)?\]\]>(?:\s*\*/)?)\s*$")


@dataclass
class PageMetadata:
    """The metadata sources of one page, each kept apart so the caller can say which it used."""

    jsonld: dict[str, Any] = field(default_factory=dict)
    jsonld_nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # objects by @id
    og: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str = ""
    title_tag: str = ""
    h1: str = ""
    time: str = ""
    language: str = ""
    authors: list[str] = field(default_factory=list)  # every author meta tag's text value

    def jsonld_text(self, key: str) -> str:
        """The text the article's JSON-LD gives for `key` where one text is meant (headline,
        datePublished, inLanguage), as `text_of` reads it."""
        return text_of(self.jsonld.get(key))

    def jsonld_texts(self, key: str) -> list[str]:
        """The texts the article's JSON-LD gives for `key` where a list is meant (keywords):
        the strings of a list, or one string's comma-separated parts; anything else left out."""
        value = self.jsonld.get(key)
        items = value.split(",") if isinstance(value, str) else (
            value if isinstance(value, list) else [])
        return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def read_metadata(tree: HtmlElement) -> PageMetadata:
    """Collect every metadata source from a parsed page in one pass over the elements that
    carry them."""
    found = PageMetadata()
    authors: list[tuple[int, str]] = []
    scripts: list[str] = []
    times: list[HtmlElement] = []
    headings: list[HtmlElement] = []
    for element in tree.iter("meta", "link", "script", "title", "h1", "time"):
        tag = element.tag
        if tag == "meta":
            _read_meta(element, found)
            if (value := _author_meta(element)) is not None:
                authors.append(value)
        elif tag == "link":
            if not found.canonical and element.get("href") and "canonical" in (
                    element.get("rel") or "").lower().split():
                found.canonical = element.get("href", "").strip()
        elif tag == "script":
            if (element.get("type") or "").strip().lower() == "application/ld+json":
                scripts.append(element.text or "")
        elif tag == "title":
            found.title_tag = found.title_tag or _text(element)
        elif tag == "h1":
            if not _in_overlay(element):
                headings.append(element)
        elif element.get("datetime"):
            times.append(element)
    found.jsonld, found.jsonld_nodes = _article_jsonld(scripts)
    found.time = _publication_time(times).get("datetime", "") if times else ""
    found.h1 = _heading_text(_first_in_article(headings)) if headings else ""
    found.language = (tree.get("lang") or "").split("-")[0].lower()
    found.authors = [value for _, value in sorted(authors, key=lambda pair: pair[0])]
    return found


def _publication_time(times: list[HtmlElement]) -> HtmlElement:
    """The <time> that dates the story: one marked as its publication (`itemprop=datePublished`,
    `pubdate`, a class naming publishing, its own or its parent's), else one not marked as an
    update; the first inside an <article> of those."""

    def marks(time: HtmlElement) -> list[str]:
        parent = time.getparent()
        named = (time.get("itemprop", ""), time.get("class", ""),
                 "" if parent is None else parent.get("class", ""),
                 "" if time.get("pubdate") is None else "pubdate")
        return _TIME_MARKS.findall(" ".join(named).lower())

    marked = [(time, marks(time)) for time in times]
    published = [time for time, found in marked if not _UPDATE_MARKS.issuperset(found)]
    not_updated = [time for time, found in marked if not found]
    return _first_in_article(published or not_updated or times)


def _first_in_article(elements: list[HtmlElement]) -> HtmlElement:
    """The first of `elements` inside an <article>, else the first: a site's logo may be an
    `<h1>` and a page's clock a `<time>` before the story's own."""
    return next((element for element in elements
                 if next(element.iterancestors("article"), None) is not None), elements[0])


def _author_meta(element: HtmlElement) -> tuple[int, str] | None:
    """An author meta tag's rank and text value; None for another tag or a link (article:author
    is often a profile URL). Pages give several: the outlet's name, then the reporter's."""
    key = (element.get("property") or element.get("name") or "").strip().lower()
    value = " ".join((element.get("content") or "").split())
    if key not in AUTHOR_META or not value or value.startswith(("http://", "https://", "/")):
        return None
    return AUTHOR_META.index(key), value


def _in_overlay(element: HtmlElement) -> bool:
    """Whether an element sits in a dialog, a form or a block named as a modal or login."""
    return any(node.tag in ("dialog", "form") or _OVERLAY.search(
        f"{node.get('class', '')} {node.get('id', '')}") for node in element.iterancestors())


def _read_meta(element: HtmlElement, found: PageMetadata) -> None:
    """File one <meta> under Open Graph (og:, article:) or the plain meta tags."""
    key = element.get("property") or element.get("name") or element.get("itemprop")
    content = element.get("content")
    if not key or content is None:
        return
    key = key.strip().lower().replace(":time", "_time")  # article:published:time, too
    target = found.og if key.startswith(("og:", "article:")) else found.meta
    if key in _REPEATED and key in target:
        target[key] += f", {content.strip()}"
    elif target.get(key, "").startswith(("http://", "https://")):
        target[key] = content.strip()  # a link (a profile URL) yields to a text value
    else:
        target.setdefault(key, content.strip())


def _article_jsonld(scripts: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The JSON-LD object most surely the article (a news article over another article or
    post, over the page itself; the first of the best kind wins), and every object by its
    @id. Searches lists, @graph and mainEntity; strings have HTML entities decoded."""
    best: tuple[int, dict[str, Any]] | None = None
    nodes: dict[str, dict[str, Any]] = {}
    for script in scripts:
        for item in _walk(_load_json(script)):
            if isinstance(item.get("@id"), str):
                nodes.setdefault(item["@id"], item)
            rank = _article_rank(item.get("@type"))
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, item)
    return (_unescaped(best[1]) if best else {}), nodes


def _load_json(script: str) -> Any:
    """A script's JSON, without a comment or CDATA wrapper; None if it is not JSON."""
    text = script.strip()
    if not text.startswith(("{", "[")):
        text = _WRAPPER.sub("", text)
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def _article_rank(value: Any) -> int | None:
    """0 for a news article type, 1 for another article or post, 2 for a web page, else None."""
    types = _types(value)
    if any(t.endswith("NewsArticle") for t in types):
        return 0
    if any(t.endswith("Article") for t in types) or types & _POSTS:
        return 1
    return 2 if types & _PAGES else None


def _types(value: Any) -> set[str]:
    """The JSON-LD type names of an @type value (one or a list, maybe as schema.org URLs)."""
    return {str(t).rsplit("/", 1)[-1] for t in (value if isinstance(value, list) else [value])}


def _walk(data: Any) -> list[dict[str, Any]]:
    """Every object of a JSON-LD document that may be the article, in document order."""
    if isinstance(data, list):
        return [item for element in data for item in _walk(element)]
    if isinstance(data, dict):
        return [data, *(item for key in _NESTED for item in _walk(data.get(key)))]
    return []


def _unescaped(value: Any) -> Any:
    """`value` with HTML entities (&amp;, &#8216;) in its strings decoded."""
    if isinstance(value, str):
        return html.unescape(value) if "&" in value else value
    if isinstance(value, dict):
        return {key: _unescaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unescaped(item) for item in value]
    return value


def text_of(value: Any) -> str:
    """The text of a JSON-LD value where one text is meant: a string, else the first string of
    a list or a value object's @value; '' for anything else (a number, another object)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((text for item in value if (text := text_of(item))), "")
    return text_of(value.get("@value")) if isinstance(value, dict) else ""


def _text(element: HtmlElement | None) -> str:
    return " ".join(element.text_content().split()) if element is not None else ""


def _heading_text(element: HtmlElement) -> str:
    """A heading's text, with a space where an element's edge meets a capital or a digit with
    none between: a kicker's `<span>Kicker</span>Headline` reads `Kicker Headline`, while
    `Wort<b>teil</b>`, `<a>Name</a>,` and `km<sup>2</sup>` stay joined."""
    pieces: list[str] = []

    def add(text: str | None, edge: bool) -> None:
        if not text:
            return
        if edge and pieces and pieces[-1][-1:].isalnum() and (text[0].isupper()
                                                               or text[0].isdigit()):
            pieces.append(" ")
        pieces.append(text)

    def walk(node: HtmlElement) -> None:
        for child in node:
            element = isinstance(child.tag, str)  # not a comment
            edge = element and child.tag not in _JOINED_TAGS
            if element:
                add(child.text, edge)
                walk(child)
            add(child.tail, edge)

    add(element.text, False)
    walk(element)
    return " ".join("".join(pieces).split())


def names(value: Any, nodes: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Names from a JSON-LD person/organisation value: a string, an object (its name, else its
    givenName and familyName; an {"@id"} reference looked up in `nodes`) or a list of them."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        if nodes and set(value) <= {"@id", "@type"} and value.get("@id") in nodes:
            value = nodes[value["@id"]]
        if found := names(value.get("name")):
            return found
        parts = [value.get(key) for key in ("givenName", "familyName")]
        full = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
        return [full] if full else []
    if isinstance(value, list):
        return [name for item in value for name in names(item, nodes)]
    return []


def organisations(value: Any) -> set[str]:
    """The names a JSON-LD author value gives for organisations rather than people."""
    items = value if isinstance(value, list) else [value]
    return {name for item in items if isinstance(item, dict)
            and any(t.endswith("Organization") for t in _types(item.get("@type")))
            for name in names(item)}


def sections(meta: PageMetadata) -> list[str]:
    """The section names the page gives for itself ("Sport", "Politik"): JSON-LD articleSection
    (one or a list) and the section or category meta tags."""
    declared = meta.jsonld.get("articleSection")
    given = [*(declared if isinstance(declared, list) else [declared]),
             *(value for tags in (meta.og, meta.meta) for key, value in tags.items()
               if _SECTION_META.search(key))]
    return [" ".join(name.split()) for name in given if isinstance(name, str) and name.strip()]
