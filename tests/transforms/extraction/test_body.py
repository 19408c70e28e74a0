"""The article body: trafilatura's main text without what is not story text, links resolved,
the closing credits line taken off, and the article read from a page's hydration state."""

from __future__ import annotations

import json

import pytest
import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from newswire.schemas.article import LeadImage
from newswire.transforms.extraction.body import (
    _page_text_size,
    body_paragraphs,
    embedded_article,
    split_credits,
    without_bylines,
)
from tests.transforms.extraction.markup import STORY, page

URL = "https://news.example/2026/03/harbour"
FIRST = "The harbour reopened on Wednesday"


def paragraphs(body: str, image: LeadImage | None = None, title: str = "") -> list[str]:
    return body_paragraphs(load_html(page(body=body)), URL, image, (title,) if title else ())


def test_the_story_paragraphs_come_out_in_order() -> None:
    found = paragraphs(STORY)
    assert len(found) == 2
    assert found[0].startswith(FIRST)
    assert found[1].startswith("Fishing boats returned first")


def test_the_headline_goes_and_section_headings_stay() -> None:
    found = paragraphs("<h2>Harbour reopens after repairs</h2>" + STORY
                       + "<h2>What comes next</h2>" + STORY, title="Harbour reopens after repairs")
    assert "## What comes next" in found
    assert not any("Harbour reopens after repairs" in block for block in found)


def test_the_lead_images_caption_and_credit_are_not_story_text() -> None:
    image = LeadImage(url="https://news.example/lead.jpg", caption="Boats at dawn on the quay.",
                      credit="Ana Ruiz/Courier")
    found = paragraphs("<p>Boats at dawn on the quay.</p><p>Ana Ruiz/Courier</p>" + STORY, image)
    assert found[0].startswith(FIRST)
    assert paragraphs("<p>Boats at dawn on the quay.</p>" + STORY)[0].startswith("Boats at dawn")


def test_a_teaser_that_is_only_a_link_goes_and_relative_links_resolve_against_the_page() -> None:
    body = (STORY + "<p><a href='/other'>Ferry fares rise again</a></p><p>The harbour master "
            "published <a href='../plan.pdf'>the repair plan</a> and the costs of every wall "
            "that the storms of January had breached, with the dates of the works.</p>")
    found = paragraphs(body)
    assert not any("Ferry fares" in block for block in found)
    assert "[the repair plan](https://news.example/2026/plan.pdf)" in found[-1]


def test_a_closing_credits_line_is_split_off() -> None:
    line = "(Reporting by Ana Ruiz; Editing by Tom Berg)"
    kept, credits = split_credits(["The harbour reopened.", line])
    assert kept == ["The harbour reopened."]
    assert credits is not None
    assert (credits.raw, credits.reporting, credits.editing) == (line, ("Ana Ruiz",),
                                                                 ("Tom Berg",))


def test_without_a_credits_line_the_paragraphs_stay_whole() -> None:
    assert split_credits(["The harbour reopened.", "Ferries followed."]) == (
        ["The harbour reopened.", "Ferries followed."], None)
    assert split_credits([]) == ([], None)


def test_a_line_that_is_only_the_authors_byline_goes_in_any_language() -> None:
    story = ["[Ana Ruiz](https://news.example/author/ana-ruiz)published",
             "The harbour reopened.", "Von Ana Ruiz und Tom Berg",
             "Ana Ruiz, the harbour master, said the quay was busy.", "(dpa)"]
    assert without_bylines(story, ["Ana Ruiz", "Tom Berg", "dpa"]) == [
        "The harbour reopened.", "Ana Ruiz, the harbour master, said the quay was busy.",
        "(dpa)"]
    assert without_bylines(story, []) == story


def test_the_article_html_in_a_hydration_state_is_parsed() -> None:
    state = json.dumps({"article": {"contentHtml": STORY}}).replace("<", "\\u003c")
    tree = load_html(f"<html><body><div id='app'></div><script>window.__STATE__ = {state};"
                     "</script></body></html>")
    article = embedded_article(tree)
    assert article is not None
    assert [p.text_content()[:33] for p in article.iter("p")] == [
        FIRST, "Fishing boats returned first, fol"]


def test_a_page_without_a_hydration_state_has_no_embedded_article() -> None:
    assert embedded_article(load_html(page())) is None
    short = "<script>window.__STATE__ = {\"html\": \"\\u003cp>Hi\\u003c/p>\"};</script>"
    assert embedded_article(load_html(page(body=short + STORY))) is None


def test_a_heading_before_the_story_that_is_another_headline_of_the_page_goes() -> None:
    headlines = ("Harbour reopens after winter repairs", "Storm damage: walls mended at last")
    body = "<h2>Storm damage Walls mended at last</h2>" + STORY + "<h2>Walls mended</h2>" + STORY
    found = body_paragraphs(load_html(page(body=body)), URL, None, headlines)
    assert found[0].startswith(FIRST)
    assert "## Walls mended" in found
    assert paragraphs(body, title=headlines[0])[0] == "## Storm damage Walls mended at last"
    dek = ("Harbour reopens after winter repairs", "Storm damage: the walls are mended at last.")
    assert body_paragraphs(load_html(page(body="<h2>Storm damage: the walls are mended at last"
                                          "</h2>" + STORY)), URL, None, dek)[0].startswith("##")


def test_the_figcaption_of_a_later_picture_is_not_story_text() -> None:
    figure = ("<div class='media'><img src='/divers.jpg' alt=''><figcaption><p>Divers inspect "
              "the breach in the outer wall</p></figcaption></div>")
    found = paragraphs(STORY + figure + STORY.replace("harbour", "port"))
    assert len(found) == 4
    assert not any("Divers inspect" in block for block in found)


def test_a_later_pictures_caption_that_its_title_gives_is_not_story_text() -> None:
    figure = ("<div class='media'><img src='/divers.jpg' alt='Divers at work' title='Divers "
              "inspect the breach in the outer wall | Ana Ruiz/Courier'><div class='info'><p>"
              "Divers inspect the breach in the outer wall{}</p></div></div>")
    for credit in ("", " Foto: Ana Ruiz/Courier"):
        found = paragraphs(STORY + figure.format(credit) + STORY.replace("harbour", "port"))
        assert len(found) == 4
        assert not any("Divers inspect" in block for block in found)


def test_an_embedded_social_post_is_not_story_text() -> None:
    post = ("<blockquote class='twitter-tweet'><p lang='en'>Ferries run again from noon today. "
            "<a href='https://t.co/x'>pic.twitter.com/x</a></p>&mdash; Harbour Office "
            "(@harbouroffice) <a href='https://x.example/s/1'>March 4, 2026</a></blockquote>")
    found = paragraphs(STORY + post + STORY.replace("harbour", "port"))
    assert len(found) == 4
    assert not any("Ferries run again" in block or "@harbouroffice" in block for block in found)


def test_a_list_whose_items_are_links_to_other_stories_goes() -> None:
    teasers = ("<ul><li><strong>Live:</strong> <a href='/ferries'>Ferry fares rise again as the "
               "operator counts the cost of the winter</a></li><li><strong>Storms:</strong> "
               "<a href='/walls'>Who pays for the new walls of the old quay</a></li></ul>")
    found = paragraphs(STORY + teasers + STORY.replace("harbour", "port"))
    assert len(found) == 4
    assert not any("Ferry fares" in block or "new walls" in block for block in found)
    steps = ("<ul><li>Divers checked <a href='/walls'>the walls</a> on Monday and Tuesday</li>"
             "<li>The ferry company tested its ramps</li></ul>")
    assert any("Divers checked" in block for block in paragraphs(STORY + steps + STORY))


def modes(monkeypatch: pytest.MonkeyPatch, html: str) -> list[bool]:
    """Whether each trafilatura run `body_paragraphs` makes on `html` was in its fast mode."""
    runs: list[bool] = []
    run = trafilatura.bare_extraction

    def watched(tree: HtmlElement, options: Extractor) -> object:
        runs.append(options.fast)
        return run(tree, options=options)

    monkeypatch.setattr(trafilatura, "bare_extraction", watched)
    assert body_paragraphs(load_html(html), URL, None)
    return runs


def test_a_story_read_whole_in_fast_mode_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    assert modes(monkeypatch, page(body=STORY * 3)) == [True]


def test_a_story_without_paragraph_breaks_gets_the_whole_cascade(
        monkeypatch: pytest.MonkeyPatch) -> None:
    unbroken = "<p>" + " ".join([FIRST + " after a winter of repairs to its walls."] * 40)
    assert modes(monkeypatch, page(body=unbroken + "</p>")) == [True, False]


def test_a_story_that_is_a_small_share_of_the_page_gets_the_whole_cascade(
        monkeypatch: pytest.MonkeyPatch) -> None:
    links = "".join(f"<li><a href='/{n}'>Another story of the island, number {n}</a></li>"
                    for n in range(120))
    html = page(body=STORY).replace("</article>", f"</article><nav><ul>{links}</ul></nav>")
    assert modes(monkeypatch, html) == [True, False]


def test_script_and_style_are_not_page_text() -> None:
    html = page(body=STORY)
    hidden = html.replace("</article>", "</article><script>var x = 'a long script';</script>"
                          "<style>p { margin: 0 }</style>")
    assert _page_text_size(load_html(hidden)) == _page_text_size(load_html(html)) > 200
