"""Extraction: one HTML page (and its feed entry) to one Article in the seed schema.

The page is parsed once; trafilatura gets that tree for the body, and our metadata readers take
the fields it does not give. Each field records in `provenance` which source it came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.metrics import Metrics
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from newswire.schemas.article import Article, Credits
from newswire.schemas.urls import absolute, canonical_url
from newswire.schemas.validation import InvalidArticle, date_bounds, validate
from newswire.transforms.dates import as_utc, parse_moment
from newswire.transforms.extraction.body import (
    body_paragraphs,
    embedded_article,
    split_credits,
    without_bylines,
)
from newswire.transforms.extraction.bylines import (
    bold_byline,
    clean_names,
    dateline_agency,
    page_byline,
)
from newswire.transforms.extraction.dek import split_dek
from newswire.transforms.extraction.images import lead_image
from newswire.transforms.extraction.metadata import (
    PageMetadata,
    names,
    organisations,
    read_metadata,
    sections,
)
from newswire.transforms.extraction.outlet import (
    copyright_holder,
    feed_site_name,
    logo_name,
    strip_outlet,
    strip_section,
    strip_site_name,
    strip_unshown_tail,
    title_site_name,
)
from newswire.transforms.process_pool import PooledDoFn
from newswire.transforms.records import DEAD_LETTER, DeadLetter, FeedEntry, Page, is_lasting

# Meta tags that give the publication time, in the order they are trusted.
_DATE_META = ("date", "pubdate", "publishdate", "publish-date", "article.published",
              "dc.date", "dcterms.date", "dc.date.issued", "sailthru.date", "parsely-pub-date")
_SAME_TIME = timedelta(minutes=1)  # two times told to the minute are the same
# A web address in an author's name ("outlet.de", "Outlet (www.outlet.com)"): a site, not a person.
_HOST_NAME = re.compile(r"\b[\w-]+\.(?:[a-z]{2,3}|info|online|news)\b(?!\.)")
# A desk or team named as author ("Redaktion", "Courier Staff", "Newsroom"): no person, so
# a source that names only one is passed over for one that names a person.
_TEAM = re.compile(r"\b(?:staff|newsroom|news\ desk|desk|team|editors|editorial\ board|"
                   r"redaktion|r\u00e9daction|redacci\u00f3n|reda\u00e7\u00e3o|redazione|"
                   r"redactie|redaksjon|redaktionen)\b", re.IGNORECASE)
# A time of day (15:25, 9:05), and how far before it the date it belongs to may be written.
_CLOCK = re.compile(r"(?<![\d:.])(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?![\d:])")
_DATE_REACH = 24
# A language tag's primary subtag ("en" of "en-GB", "en_US", "EN"); anything else in a lang
# attribute (a language's name, a template's "{{lang}}") says no language.
_LANGUAGE_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z\d]{1,8})*", re.IGNORECASE)
# A tag is a label: a longer one is prose put in the keywords (the longest of 454 tags on 131
# real pages has 85 characters), and the index refuses a keyword over 32,766 bytes.
_MAX_TAG_CHARACTERS = 200
# A candidate value for a field: given, or a callable evaluated only when its turn comes.
Candidate = tuple[str, Any]


class ExtractionError(ValueError):
    """The page holds no article we can extract; as served, it never will (`lasting`)."""

    lasting = True


def extract_article(html: str, url: str, entry: FeedEntry | None = None,
                    fetched_at: datetime | None = None) -> Article:
    """Extract the article at `url` from its HTML; raises ExtractionError if there is none."""
    try:
        urlsplit(url)
    except ValueError:
        raise ExtractionError(f"unparseable page URL {url!r}") from None
    tree = load_html(html)
    if tree is None:
        raise ExtractionError("unparseable HTML")
    meta = read_metadata(tree)
    provenance: dict[str, str] = {}

    image, image_sources = lead_image(tree, meta, url, entry)
    canonical = canonical_url(absolute(url, meta.canonical or meta.og.get("og:url") or url) or url)
    host = urlsplit(canonical).hostname or urlsplit(url).hostname or ""
    outlets = [*_site_names(meta), host, host.removeprefix("www.").split(".")[0]]
    page_sections = sections(meta)

    def headline(given: str) -> str:
        """A headline the page's metadata gives, without the outlet and section it may add."""
        return strip_unshown_tail(strip_section(strip_outlet(given, outlets), page_sections),
                                  meta.h1)

    title = _pick(provenance, "title", [
        ("json-ld", headline(meta.jsonld_text("headline"))),
        ("og", headline(meta.og.get("og:title", ""))), ("h1", meta.h1),
        ("feed", entry and entry.title),
        ("title-tag", lambda: headline(strip_site_name(meta.title_tag))),
    ])
    headlines = (title, *(text for text in (
        meta.jsonld_text("headline"), meta.jsonld_text("alternativeHeadline"),
        meta.og.get("og:title"), meta.h1) if text))
    descriptions = [meta.jsonld_text("description"), meta.og.get("og:description", ""),
                    meta.meta.get("description", "")]

    def story(text_tree: HtmlElement) -> tuple[str, list[str], Credits | None]:
        """The dek, the paragraphs and the credits line of the story `text_tree` holds."""
        dek, paragraphs = split_dek(tree, body_paragraphs(text_tree, url, image, headlines),
                                    descriptions, headlines)
        return dek, *split_credits(paragraphs)

    dek, paragraphs, credits = story(tree)
    provenance["body"] = "trafilatura"
    if not paragraphs and (embedded := embedded_article(tree)) is not None:
        if image is None or not image.caption:  # the state may hold the picture's caption too
            image, image_sources = lead_image(embedded, meta, url, entry)
        dek, paragraphs, credits = story(embedded)
        provenance["body"] = "hydration-state"
    provenance.update(image_sources)
    if not paragraphs:
        raise ExtractionError("no article text found")
    outlet = _pick(provenance, "outlet", [
        ("json-ld", next(iter(names(meta.jsonld.get("publisher"))), "")),
        ("og", meta.og.get("og:site_name")), ("meta", meta.meta.get("application-name")),
        ("title-tag", lambda: title_site_name(meta.title_tag, title)),
        ("logo", lambda: logo_name(tree)),
        ("feed", entry and (lambda: feed_site_name(entry.feed_title, host))),
        ("copyright", lambda: copyright_holder(tree)),
        ("domain", host.removeprefix("www.")),
    ])
    authors = _authors(provenance, tree, meta, entry, outlet, paragraphs[0])
    paragraphs = without_bylines(paragraphs, authors) or paragraphs
    bounds = date_bounds(fetched_at)
    published = _pick_time(provenance, "published_at", bounds, [
        ("json-ld", meta.jsonld_text("datePublished")),
        ("og", meta.og.get("article:published_time")),
        ("microdata", meta.meta.get("datepublished")),
        ("meta", next((meta.meta[key] for key in _DATE_META if meta.meta.get(key)), "")),
        ("time", meta.time),
        ("feed", entry and entry.published),
        ("htmldate", lambda: _at_time_shown(html, _htmldate(tree))),
        ("first-seen", fetched_at),
    ])
    updated = _pick_time(provenance, "updated_at", bounds, [
        ("json-ld", meta.jsonld_text("dateModified")),
        ("og", meta.og.get("article:modified_time")),
        ("feed", entry and entry.updated),
    ])
    return Article(
        url=url,
        canonical_url=canonical,
        title=title,
        outlet=outlet,
        published_at=published,
        updated_at=updated if updated and published and updated > published else None,
        authors=authors,
        image=image,
        credits=credits,
        body="\n\n".join(paragraphs),
        summary=_pick(provenance, "summary", [
            ("page", dek), ("json-ld", descriptions[0]), ("og", descriptions[1]),
            ("meta", descriptions[2]), ("feed", entry and entry.summary)]),
        language=_language(meta),
        tags=_tags(meta, entry),
        source_feed=entry.feed_url if entry else "",
        fetched_at=fetched_at,
        provenance=provenance,
    )


def _htmldate(tree: HtmlElement) -> str | None:
    """The publication date htmldate finds in the page, or None. htmldate is the last guess
    before the time first seen, and raises on some dates it reads (an offset of +24:00): a page
    whose guess fails has none, and keeps its article."""
    try:
        return find_date(tree, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S")
    except Exception:  # any failure inside the library's heuristics
        return None


def _at_time_shown(html: str, day: str | None) -> str | None:
    """A date found without its time ("2025-04-01T00:00:00"), at the time of day the page writes
    right after that date ("01. April 2025, 15:25", "2025.04.01 15:25"): the first time whose
    preceding characters hold the date's year and day."""
    moment = parse_moment(day) if day else None
    if moment is None or moment.time() != datetime.min.time():
        return day
    year, date_day = re.compile(rf"(?<!\d){moment.year}(?!\d)"), re.compile(
        rf"(?<!\d)0?{moment.day}(?!\d)")
    for clock in _CLOCK.finditer(html):
        before = html[max(0, clock.start() - _DATE_REACH):clock.start()]
        if year.search(before) and date_day.search(year.sub(" ", before)):
            return moment.replace(hour=int(clock["hour"]), minute=int(clock["minute"])).isoformat()
    return day


def _pick(provenance: dict[str, str], field: str, candidates: list[Candidate]) -> str:
    """The first candidate with text; callables are evaluated only when reached."""
    for source, value in candidates:
        value = value() if callable(value) else value
        if value and str(value).strip():
            provenance[field] = source
            return " ".join(str(value).split())
    return ""


def _pick_time(provenance: dict[str, str], field: str, bounds: tuple[datetime, datetime],
               candidates: list[Candidate]) -> datetime | None:
    """The first candidate that is a valid time within `bounds` (`date_bounds`: a source that
    dates the story in 2999 is mistaken, and the next one is asked); callables are evaluated
    only when reached. A time without an offset yields to a later one that tells the same
    wall-clock time with its offset (the same moment, told with its zone)."""
    earliest, latest = bounds
    naive: tuple[str, datetime] | None = None
    for source, value in candidates:
        value = value() if callable(value) else value
        moment = value if isinstance(value, datetime) else parse_moment(value)
        if moment is None:
            continue
        if moment.tzinfo is not None:
            utc = as_utc(moment)
            if utc is not None and earliest <= utc <= latest and (
                    naive is None or abs(moment.replace(tzinfo=None) - naive[1]) <= _SAME_TIME):
                provenance[field] = source
                return utc
        elif naive is None and earliest <= moment.replace(tzinfo=timezone.utc) <= latest:
            naive = (source, moment)
    if naive is None:
        return None
    provenance[field] = naive[0]
    return naive[1].replace(tzinfo=timezone.utc)


def _authors(provenance: dict[str, str], tree: HtmlElement, meta: PageMetadata,
             entry: FeedEntry | None, outlet: str, lead: str) -> tuple[str, ...]:
    """The authors: the people JSON-LD names, an author meta tag, the page's byline, a bold
    line of names at the story's start, the feed entry, the agency the story's dateline names
    (`lead` is its first paragraph); an organisation (or the outlet), a web address or a desk
    named as author only when no one else is found. The source that gave them goes into
    `provenance`."""
    language = _language(meta)
    author = meta.jsonld.get("author")
    companies = {n.casefold() for n in (outlet, *organisations(author), *_site_names(meta)) if n}
    companies |= {_initials(n) for n in companies if len(n.split()) > 1}
    sources: list[Candidate] = [
        ("json-ld", lambda: names(author, meta.jsonld_nodes)),
        ("meta", lambda: meta.authors),
        ("byline", lambda: page_byline(tree)),
        ("bold-byline", lambda: bold_byline(tree)),
        ("feed", lambda: list(entry.authors) if entry else []),
        ("dateline", lambda: dateline_agency(lead)),
    ]
    named: tuple[str, list[str]] | None = None  # the first names found, people or not
    for source, read in sources:
        found = clean_names(read(), language)
        people = [name for name in found
                  if name.casefold() not in companies and not _HOST_NAME.search(name)]
        if any(not _TEAM.search(name) for name in people):  # a team beside a person stays
            provenance["authors"] = source
            return tuple(people)
        if found and named is None:
            named = (source, found)
    if named is None:
        return ()
    provenance["authors"] = named[0]
    return tuple(named[1])


def _initials(name: str) -> str:
    """A name's initials, as an outlet abbreviates itself ("legal tribune online" -> "lto")."""
    return "".join(word[0] for word in name.split())


def _language(meta: PageMetadata) -> str:
    """The page's language code ("en" of "en-GB"): JSON-LD inLanguage, else the <html> lang,
    whichever is a language tag; "" where neither is, which costs the article nothing."""
    for given in (meta.jsonld_text("inLanguage"), meta.language):
        if tag := _LANGUAGE_TAG.fullmatch(given.strip()):
            return tag[1].lower()
    return ""


def _site_names(meta: PageMetadata) -> list[str]:
    return [meta.og.get("og:site_name", ""), *names(meta.jsonld.get("publisher"))]


def _tags(meta: PageMetadata, entry: FeedEntry | None) -> tuple[str, ...]:
    keywords = meta.jsonld_texts("keywords") or [
        k.strip() for k in meta.og.get("article:tag", "").split(",")]
    tags = [k for k in keywords if k] or list(entry.tags if entry else ())
    return tuple(dict.fromkeys(tag for tag in tags if len(tag) <= _MAX_TAG_CHARACTERS))


_MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
# Counted in characters, not words, as Chinese and Japanese put no spaces between words. The
# shortest of 131 real articles extracted has 323 outside its links; "Home" has 4.
MIN_PROSE_CHARACTERS = 50


def has_prose(body: str) -> bool:
    """Whether a body has text of its own: a sentence or two outside its links. A page that is
    only navigation or a list of links (a section front, an empty template) has none."""
    return len("".join(_MARKDOWN_LINK.sub(" ", body).split())) >= MIN_PROSE_CHARACTERS


def read_page(page: Page, then: Callable[[Article], Article | DeadLetter] | None = None
              ) -> Article | DeadLetter:
    """The page's article (passed through `then`, if given), or the dead letter that says why
    it has none: the extraction stage's boundary, so any failure on the page, whoever raised
    it, is that page's dead letter and never the job's end."""
    try:
        article = extract_article(page.html, page.url, page.entry, page.fetched_at)
        if not has_prose(article.body):
            raise ExtractionError("no article text: the page holds only links")
        return then(article) if then else article
    except Exception as error:
        reason = str(error) if isinstance(error, ExtractionError) else (
            f"extractor failed: {type(error).__name__}: {error}")
        return DeadLetter.for_entry("extract", reason, page.entry, lasting=is_lasting(error))


def checked(article: Article) -> Article | DeadLetter:
    """The article if it satisfies the article schema, else the dead letter that says how not."""
    try:
        return validate(article)
    except InvalidArticle as error:
        return DeadLetter(stage="validate", reason=str(error), unit="entry", url=article.url,
                          input=json.dumps(article.to_dict()), key=article.id, lasting=True)


def _died(page: Page) -> DeadLetter:
    return DeadLetter.for_entry("extract", "the extracting process died on this page",
                                page.entry)


class ExtractArticles(PooledDoFn):
    """Pages to Articles (`read`, `read_page` by default); a page without an article leaves as
    a dead letter.

    With `processes`, extraction runs in that many worker processes, for a runner that runs the
    job in one process; elsewhere the runner's processes share the work.
    """

    def __init__(self, processes: int = 0,
                 read: Callable[[Page], Article | DeadLetter] = read_page) -> None:
        super().__init__(read, processes, _died)
        self.extracted = Metrics.counter("newswire", "articles_extracted")
        self.failed = Metrics.counter("newswire", "extraction_failed")

    def outputs(self, result: Article | DeadLetter, timestamp: Any) -> Iterator[Any]:
        if isinstance(result, DeadLetter):
            if result.stage == "extract":  # not a `checked` article that failed the schema
                self.failed.inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, result)
        else:
            self.extracted.inc()
            yield result
