"""Extraction: every corpus page to exactly its ground truth, with and without its feed entry,
and the general rules behind it on whole pages (bylines, deks, boilerplate, outlet signals,
times, links). Each reader's own functions are tested in the file named after it."""

from __future__ import annotations

import difflib
import json
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import trafilatura.utils
from trafilatura.utils import load_html

from newswire.schemas import seed
from newswire.schemas.article import Article
from newswire.transforms.extraction.body import body_paragraphs
from newswire.transforms.extraction.boilerplate import is_boilerplate
from newswire.transforms.extraction.extract import ExtractionError, extract_article
from newswire.transforms.extraction.images import lead_image
from newswire.transforms.extraction.metadata import read_metadata
from newswire.transforms.extraction.outlet import copyright_holder, logo_name
from newswire.transforms.records import FeedEntry
from newswire.transforms.sources.feeds import read_feed
from tests import REPO

CORPUS = REPO / "seeds" / "corpus"
BASE_URL = "http://127.0.0.1:8000"
FIELDS = ("title", "outlet", "published_at", "canonical_url", "image", "body", "credits")


# --- the corpus ----------------------------------------------------------------------------

def corpus_articles() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.txt") if p.with_suffix(".html").exists())


def manifest_entries() -> list[dict[str, str]]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [entry for entry in manifest["entries"] if entry.get("expected")]


@cache
def feed_entries(feed: str) -> dict[str, FeedEntry]:
    """The entries of one corpus feed by link, as the pipeline's feed stage reads them."""
    document = (CORPUS / feed).read_bytes().replace(b"{{BASE_URL}}", BASE_URL.encode())
    return {entry.link: entry for entry in read_feed(document, f"{BASE_URL}/{feed}")[0]}


def page(path: Path) -> str:
    return path.read_text().replace("{{BASE_URL}}", BASE_URL)


def assert_matches_ground_truth(article: Article, truth_path: Path) -> None:
    """Rendered output equals the .txt byte for byte; on failure, name the fields and diff."""
    expected = truth_path.read_text()
    rendered = seed.render(article)
    if rendered == expected:
        return
    truth = seed.parse(expected)
    got = article.replace(canonical_url=article.canonical_url or article.url)
    differing = [name for name in FIELDS if getattr(got, name) != getattr(truth, name)]
    diff = "".join(difflib.unified_diff(expected.splitlines(True), rendered.splitlines(True),
                                        "expected", "extracted"))
    pytest.fail(f"{truth_path.relative_to(CORPUS)}: fields differ: {differing or ['layout']}\n"
                f"provenance: {article.provenance}\n{diff}", pytrace=False)


@pytest.mark.parametrize("truth", corpus_articles(), ids=lambda p: p.stem[:48])
def test_corpus_page_without_entry_matches_ground_truth(truth: Path) -> None:
    html_path = truth.with_suffix(".html")
    article = extract_article(page(html_path), f"{BASE_URL}/{html_path.relative_to(CORPUS)}")
    assert_matches_ground_truth(article, truth)


def entry_id(item: dict[str, str]) -> str:
    return f"{item['feed'].split('/')[-1]}:{Path(item['expected']).stem[:40]}"


@pytest.mark.parametrize("item", manifest_entries(), ids=entry_id)
def test_corpus_page_with_feed_entry_matches_ground_truth(item: dict[str, str]) -> None:
    link = item["link"].replace("{{BASE_URL}}", BASE_URL)
    entry = feed_entries(item["feed"])[link]
    html_path = CORPUS / link.removeprefix(f"{BASE_URL}/").split("?")[0]
    article = extract_article(page(html_path), link, entry)
    assert_matches_ground_truth(article, CORPUS / item["expected"])


def test_the_corpus_is_all_covered() -> None:
    assert len(corpus_articles()) == 43
    assert {CORPUS / e["expected"] for e in manifest_entries()} == set(corpus_articles())


def test_provenance_names_the_page_signals_used() -> None:
    html_path = CORPUS / "harbor-gazette/culture/lighthouse-museum-unveils-restored-lens.html"
    article = extract_article(page(html_path), f"{BASE_URL}/{html_path.relative_to(CORPUS)}")
    assert article.provenance == {"title": "h1", "outlet": "title-tag", "published_at": "time",
                                  "image": "caption-block", "caption": "caption-block",
                                  "credit": "caption-block", "authors": "meta",
                                  "body": "trafilatura"}
    assert article.authors == ("Marcus Oyelaran",)


# --- synthetic pages: the general rules -----------------------------------------------------

STORY = [
    "The city council voted on Tuesday to approve a new plan for the harbor front, ending two "
    "years of debate over how many homes the district should hold and who should pay for them.",
    "Supporters said the plan would ease a housing shortage that has pushed rents up by a third "
    "since 2020, while opponents warned that the new towers would block views of the water.",
    "The plan now goes to the state planning board, which is expected to rule before the end of "
    "the year. Construction could start as early as next spring if the board signs off on it.",
]


def html_page(body: str, head: str = "", header: str = "", footer: str = "") -> str:
    """A plain article page; `body` goes inside the story container after the paragraphs."""
    paragraphs = "".join(f"<p>{text}</p>" for text in STORY)
    return (f"<html><head><title>Council approves harbor plan | The Bay Courier</title>{head}"
            f"</head><body><div id='site'>{header}<article><h1>Council approves harbor plan</h1>"
            f"<time datetime='2026-03-02T09:30:00-05:00'>March 2</time>"
            f"<div class='story'>{body}{paragraphs}</div></article>{footer}</div></body></html>")


URL = "https://www.baycourier.example/news/council-approves-harbor-plan"


def test_a_dek_marked_as_such_is_the_summary_and_not_the_body() -> None:
    dek = "The vote ends two years of debate over the district."
    html = html_page("", header="").replace(
        "<div class='story'>", f"<p class='article-dek'>{dek}</p><div class='story'>")
    article = extract_article(html, URL)
    assert dek not in article.body
    assert article.body.startswith("The city council voted")
    assert (article.summary, article.provenance["summary"]) == (dek, "page")


def test_a_first_paragraph_equal_to_the_description_but_in_the_body_is_kept() -> None:
    # wire pages often reuse the lede as the meta description: it is still the story's text
    html = html_page("", head=f"<meta name='description' content='{STORY[0]}'>")
    article = extract_article(html, URL)
    assert article.body.split("\n\n")[0] == STORY[0]


@pytest.mark.parametrize("line", [
    "Our Standards: The Thomson Reuters Trust Principles.",
    "Purchase Licensing Rights",
    "Advertisement",
    "Copyright 2026 The Associated Press. All rights reserved.",
    "Get the morning briefing in your inbox with our free newsletter. Sign up here.",
])
def test_boilerplate_paragraphs_are_dropped(line: str) -> None:
    assert is_boilerplate(line)
    article = extract_article(html_page(f"<p>{line}</p>"), URL)
    assert line not in article.text


def test_byline_and_timestamp_paragraphs_are_dropped_but_by_sentences_kept() -> None:
    kept = "By 2030, the district could hold as many as 4,000 new homes, planners said."
    html = html_page(f"<p>By Jane Doe, Staff Writer</p><p>Updated March 2, 2026 9:30 a.m. ET</p>"
                     f"<p>{kept}</p>")
    article = extract_article(html, URL)
    assert "Jane Doe" not in article.body
    assert "Updated March" not in article.body
    assert kept in article.body


def test_a_parenthesised_credits_line_closes_the_story() -> None:
    line = "(Reporting by Jane Doe in London; Writing by John Roe; Editing by Ann Lee)"
    article = extract_article(html_page("").replace("</div></article>",
                                                    f"<p>{line}</p></div></article>"), URL)
    assert article.credits is not None
    assert article.credits.raw == line
    assert article.credits.writing == ("John Roe",)
    assert line not in article.body


def test_a_captioned_image_block_is_the_lead_image() -> None:
    picture = ("<div class='photo'><img src='/media/harbor.jpg' alt='The harbor front'>"
               "<div class='caption'>Boats moored at the harbor front on Monday. "
               "(AP Photo/Jae Park)</div></div>")
    article = extract_article(html_page(picture), URL)
    assert article.image is not None
    assert article.image.url == "https://www.baycourier.example/media/harbor.jpg"
    assert article.image.caption == "Boats moored at the harbor front on Monday."
    assert article.image.credit == "(AP Photo/Jae Park)"
    assert "Boats moored" not in article.body
    assert article.provenance["caption"] == "caption-block"


def test_a_caption_never_comes_from_another_picture() -> None:
    head = ("<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"image\": "
            "{\"url\": \"https://cdn.example/other.jpg\", \"caption\": \"Another picture.\"}}"
            "</script>")
    article = extract_article(html_page("<figure><img src='/media/lead.jpg'></figure>", head),
                              URL)
    assert article.image is not None
    assert article.image.url.endswith("/media/lead.jpg")
    assert article.image.caption == ""
    assert "caption" not in article.provenance


@pytest.mark.parametrize(("extra", "outlet", "source"), [
    ("<meta property='og:site_name' content='Bay Courier'>", "Bay Courier", "og"),
    ("", "The Bay Courier", "title-tag"),
])
def test_outlet_from_metadata_then_the_title(extra: str, outlet: str, source: str) -> None:
    article = extract_article(html_page("", head=extra), URL)
    assert (article.outlet, article.provenance["outlet"]) == (outlet, source)


def test_outlet_from_the_logo_then_the_copyright_line_then_the_domain() -> None:
    bare = html_page("").replace(" | The Bay Courier", "")
    logo = "<a href='/'><img src='/img/masthead.png' alt='The Bay Courier logo'></a>"
    footer = "<footer>&copy; 2026 Bay Courier Media, 1 Pier Rd. All rights reserved.</footer>"
    with_logo = extract_article(bare.replace("<div id='site'>", f"<div id='site'>{logo}"), URL)
    assert (with_logo.outlet, with_logo.provenance["outlet"]) == ("The Bay Courier", "logo")
    with_footer = extract_article(bare.replace("</article>", f"</article>{footer}"), URL)
    assert (with_footer.outlet, with_footer.provenance["outlet"]) == ("Bay Courier Media",
                                                                      "copyright")
    bare_page = extract_article(bare, URL)
    assert (bare_page.outlet, bare_page.provenance["outlet"]) == ("baycourier.example", "domain")


def test_the_feed_title_gives_the_outlet_when_the_page_does_not() -> None:
    bare = html_page("").replace(" | The Bay Courier", "")
    entry = FeedEntry(link=URL, feed_url="https://www.baycourier.example/rss",
                      feed_title="Bay Courier - Local News")
    article = extract_article(bare, URL, entry)
    assert (article.outlet, article.provenance["outlet"]) == ("Bay Courier", "feed")


@pytest.mark.parametrize("suffix", [" | The Bay Courier", " | The Bay Courier | 02.03.2026",
                                    "--Local--The Bay Courier"])
def test_the_title_tag_is_the_last_resort_title_without_its_suffix(suffix: str) -> None:
    html = html_page("").replace("<h1>Council approves harbor plan</h1>", "").replace(
        " | The Bay Courier", suffix)
    article = extract_article(html, URL)
    assert (article.title, article.provenance["title"]) == ("Council approves harbor plan",
                                                            "title-tag")


def test_the_rendered_timestamp_is_utc() -> None:
    article = extract_article(html_page(""), URL)
    assert article.published_at == datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc)
    assert "**2026-03-02 14:30**" in seed.render(article)


def test_relative_links_resolve_against_the_page() -> None:
    link = "<p>Read the <a href='../docs/plan.pdf'>full plan</a> and the <a href='/votes'>vote " \
           "record</a> on the council's website before the hearing next week, officials said.</p>"
    article = extract_article(html_page(link), URL)
    assert "[full plan](https://www.baycourier.example/docs/plan.pdf)" in article.body
    assert "[vote record](https://www.baycourier.example/votes)" in article.body


@pytest.mark.parametrize("html", ["", "<html><head><title>Empty</title></head><body><div>"
                                  "</div></body></html>"])
def test_a_page_without_text_is_an_extraction_error(html: str) -> None:
    with pytest.raises(ExtractionError):
        extract_article(html, URL)


def test_the_page_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    html = html_page("<p>By Jane Doe</p>")
    parsed: list[str] = []

    def counting_fromstring(text: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(text)  # trafilatura also parses fragments of its own (readability)
        return lxml.html.fromstring(text, *args, **kwargs)

    monkeypatch.setattr(trafilatura.utils, "fromstring", counting_fromstring)
    extract_article(html, URL)
    assert parsed.count(html) == 1


def test_the_readers_leave_the_shared_tree_as_it_was() -> None:
    footer = "<footer>&copy; 2026 Bay Courier</footer>"
    tree = load_html(html_page("<figure><img src='/a.jpg'><figcaption>A. REUTERS/B C"
                               "</figcaption></figure>", footer=footer))
    before = lxml.html.tostring(tree)
    meta = read_metadata(tree)
    lead_image(tree, meta, URL, None)
    body_paragraphs(tree, URL, None)
    logo_name(tree)
    copyright_holder(tree)
    assert lxml.html.tostring(tree) == before
