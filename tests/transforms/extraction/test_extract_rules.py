"""General extraction rules found on real publishers' pages, each on a minimal page of our own:
which JSON-LD object is the article, titles, times, bylines, the body, captions and credits."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from newswire.schemas.article import Article
from newswire.transforms.extraction import extract
from newswire.transforms.extraction.extract import (
    ExtractionError,
    checked,
    extract_article,
    read_page,
)
from newswire.transforms.records import DeadLetter, FeedEntry, Page
from tests.transforms.extraction.markup import NEWS, STORY, jsonld, page

URL = "https://news.example/2026/03/harbour"


# --- which JSON-LD object is the article (how it is found: test_metadata.py) -----------------

def test_html_entities_in_json_ld_strings_are_decoded() -> None:
    head = jsonld({**NEWS, "headline": "&#8216;Harbour&#8217; reopens &amp; rebuilds"})
    article = extract_article(page(head), URL)
    assert article.title == "\u2018Harbour\u2019 reopens & rebuilds"
    assert article.published_at == datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("shape", [
    ["2026-03-04T12:00:00Z"], {"@value": "2026-03-04T12:00:00Z"}])
def test_a_json_ld_text_given_as_a_list_or_a_value_object_is_read(shape: object) -> None:
    head = jsonld({**NEWS, "headline": ["Harbour reopens", "Harbour reopens today"],
                   "datePublished": shape, "inLanguage": {"@value": "en-GB"},
                   "keywords": ["harbour", "islands"]})
    article = extract_article(page(head), URL)
    assert article.title == "Harbour reopens"
    assert article.published_at == datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
    assert article.language == "en"
    assert article.tags == ("harbour", "islands")


def test_a_json_ld_image_whose_address_and_caption_are_lists_is_read() -> None:
    head = jsonld({**NEWS, "image": {"@type": "ImageObject", "url": ["/img/boats.jpg", 5],
                                     "caption": {"@value": "Boats at dawn."}}})
    image = extract_article(page(head), URL).image
    assert image is not None
    assert (image.url, image.caption) == ("https://news.example/img/boats.jpg", "Boats at dawn.")


def test_json_ld_values_of_other_shapes_are_passed_over_not_fatal() -> None:
    head = jsonld({**NEWS, "headline": 5, "datePublished": {"url": ["x"]}, "dateModified": True,
                   "inLanguage": {"@type": "Language", "name": "English"},
                   "keywords": [[[]], 7], "description": {"text": ["x"]}})
    article = extract_article(page(head + "<meta property='og:title' content='Harbour reopens'>"
                                   "<meta property='article:published_time' "
                                   "content='2026-03-04T13:00:00Z'>"), URL)
    assert article.title == "Harbour reopens"  # from og:title
    assert article.published_at == datetime(2026, 3, 4, 13, 0, tzinfo=timezone.utc)
    assert article.language == "en"  # from <html lang>
    assert article.tags == ()


@pytest.mark.parametrize(("lang", "in_language", "expected"), [
    ("en_US", "", "en"), ("DE-at", "", "de"), ("{{lang}}", "", ""), ("x" * 40_000, "", ""),
    ("en", "English", "en"), ("english", "fr-CA", "fr")])
def test_a_language_tag_is_read_however_spelt_and_anything_else_is_no_language(
        lang: str, in_language: str, expected: str) -> None:
    """A lang attribute that is no language tag once made the article a dead letter."""
    head = jsonld({**NEWS, "inLanguage": in_language})
    assert extract_article(page(head, lang=lang), URL).language == expected


def test_a_tag_too_long_to_be_a_label_is_left_out() -> None:
    """A 40,000-character tag once made the index refuse the whole article."""
    head = jsonld({**NEWS, "keywords": ["harbour", "x" * 40_000, "islands"]})
    assert extract_article(page(head), URL).tags == ("harbour", "islands")


@pytest.mark.parametrize(("figure", "image"), [
    ("<img src='/img/boats at dawn.jpg'>", "https://news.example/img/boats%20at%20dawn.jpg"),
    ("<img src='\n  https://news.example/img/boats.jpg\n'>", "https://news.example/img/boats.jpg"),
    ("<img src='javascript:void(0)'>", None)])
def test_an_image_address_is_read_as_a_browser_reads_it(figure: str, image: str | None) -> None:
    """An image address with a space, or a script's, once made the article a dead letter."""
    body = f"<figure>{figure}<figcaption>Boats at dawn.</figcaption></figure>{STORY}"
    article = checked(extract_article(page(body=body), URL))
    assert isinstance(article, Article)
    assert (article.image.url if article.image else None) == image


@pytest.mark.parametrize(("canonical", "expected"), [
    ("https://news.example/2026/03/harbour reopens",
     "https://news.example/2026/03/harbour%20reopens"),
    ("data:text/html,harbour", URL), ("ftp://news.example/harbour", URL)])
def test_a_canonical_address_that_is_no_web_address_yields_to_the_pages(
        canonical: str, expected: str) -> None:
    head = f"<link rel='canonical' href='{canonical}'>"
    article = checked(extract_article(page(head + jsonld(NEWS)), URL))
    assert isinstance(article, Article) and article.canonical_url == expected


def test_a_publication_time_out_of_range_yields_to_the_next_source() -> None:
    """A JSON-LD date in 2999 once made the article a dead letter beside a good og time."""
    head = jsonld({**NEWS, "datePublished": "2999-01-01T00:00:00Z"}) + (
        "<meta property='article:published_time' content='2026-03-04T13:00:00Z'>")
    fetched = datetime(2026, 3, 5, tzinfo=timezone.utc)
    article = checked(extract_article(page(head), URL, fetched_at=fetched))
    assert isinstance(article, Article)
    assert article.published_at == datetime(2026, 3, 4, 13, 0, tzinfo=timezone.utc)
    assert article.provenance["published_at"] == "og"


def test_a_date_htmldate_fails_on_leaves_the_time_first_seen() -> None:
    seen = datetime(2026, 3, 5, 8, 0, tzinfo=timezone.utc)
    head = jsonld({**NEWS, "datePublished": "2026-03-04T12:00:00+24:00"})
    article = extract_article(page(head), URL, fetched_at=seen)
    assert (article.published_at, article.provenance["published_at"]) == (seen, "first-seen")


def test_a_malformed_address_on_the_page_costs_only_itself() -> None:
    head = ("<link rel='canonical' href='http://['><meta property='og:image' content='//[::1'>"
            + jsonld({**NEWS, "image": "http://[::1"}))
    body = ("<figure><img src='http://[' alt='Boats'><figcaption>Boats at dawn.</figcaption>"
            "</figure><p>See <a href='//[bad'>the plan</a>.</p>" + STORY)
    article = extract_article(page(head, body), URL)
    assert article.canonical_url == URL
    assert article.image is None  # no address of a picture could be read
    assert "See [the plan](//[bad)." in article.body  # the link kept as written


def test_a_page_url_that_cannot_be_parsed_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="unparseable page URL"):
        extract_article(page(jsonld(NEWS)), "http://[")


# --- the lead picture, its caption and its credit --------------------------------------------

def lead(figures: str, head: str = "") -> tuple[str, str]:
    image = extract_article(page(head, figures + STORY), URL).image
    assert image is not None
    return image.caption, image.credit


@pytest.mark.parametrize(("figcaption", "caption", "credit"), [
    ("<span>Boats at dawn.</span><span class='image__credit'>(Foto: Ana Ruiz/dpa)</span>",
     "Boats at dawn.", "Ana Ruiz/dpa"),
    ("Boats at dawn. <small class='copyright'>&copy; Ana Ruiz | Courier</small>",
     "Boats at dawn.", "Ana Ruiz, Courier"),
    ("<p>Boats at dawn.</p><span class='caption__source'>Credit: Ana Ruiz</span>",
     "Boats at dawn.", "Ana Ruiz"),
    ("<span class='caption'>Boats at dawn.</span><cite>(Image: Ana Ruiz/Getty Images)</cite>",
     "Boats at dawn.", "Ana Ruiz/Getty Images"),
    ("<span class='sr-only'>Camera icon</span>Boats at dawn.<span class='license'>Ana Ruiz"
     "</span>", "Boats at dawn.", "Ana Ruiz"),
])
def test_a_credit_element_is_taken_out_of_the_caption_without_its_label(
        figcaption: str, caption: str, credit: str) -> None:
    assert lead(f"<figure><img src='/lead.jpg'><figcaption>{figcaption}</figcaption></figure>"
                ) == (caption, credit)


def test_a_credit_block_in_the_figure_outside_its_caption_is_the_credit() -> None:
    figure = ("<figure><div><img src='/lead.jpg'><small>&copy; Ana Ruiz</small></div>"
              "<figcaption>Boats at dawn.</figcaption></figure>")
    assert lead(figure) == ("Boats at dawn.", "Ana Ruiz")


def test_a_figcaption_just_after_its_figure_is_its_caption() -> None:
    figure = ("<figure><img src='/lead.jpg'></figure><figcaption>Boats at dawn. "
              "<span class='credit'>Ana Ruiz</span></figcaption>")
    assert lead(figure, "<meta property='og:image' content='https://cdn.example/lead.jpg'>") == (
        "Boats at dawn.", "Ana Ruiz")


@pytest.mark.parametrize(("figures", "cover"), [
    ("<figure><img src='/avatars/jane-doe.png'><figcaption>Jane Doe</figcaption>"
     "</figure><div class='hero'><picture><source srcset='/img/lead-1200.jpg 1200w'>"
     "<img src='data:image/gif;base64,R0lGOD'></picture><p class='hero__caption'>"
     "Boats at dawn.</p><p class='hero__credit'>Foto: Ana Ruiz</p></div>", "x/lead-1200.jpg"),
    # a captionless teaser of the same story showing the cover yields to the captioned lead
    ("<aside><figure class='teaser'><a href='/same-story'><img src='/p/122x69_lead-4815162342.jpg'>"
     "</a></figure></aside><figure><img src='/p/1536x864_lead-4815162342.jpg'><figcaption>Boats at "
     "dawn. <span class='credit'>Ana Ruiz</span></figcaption></figure>",
     "p/1200x675_lead-4815162342.jpg"),
])
def test_the_lead_figure_is_the_one_showing_the_cover_image(figures: str, cover: str) -> None:
    head = f"<meta property='og:image' content='https://cdn.example/{cover}'>"
    assert lead(figures, head) == ("Boats at dawn.", "Ana Ruiz")


def test_the_seed_formats_photo_label_is_kept() -> None:
    figure = ("<figure><img src='/lead.jpg'><figcaption>Boats at dawn. <span class='credit'>"
              "Photo: Ana Ruiz/Courier</span></figcaption></figure>")
    assert lead(figure) == ("Boats at dawn.", "Photo: Ana Ruiz/Courier")


@pytest.mark.parametrize(("line", "caption", "credit"), [
    ("Boats at dawn (Picture: Ana Ruiz/AP)", "Boats at dawn", "Ana Ruiz/AP"),
    ("Boats at dawn | Foto: Ana Ruiz", "Boats at dawn", "Ana Ruiz"),
    ("Boats at dawn. \u00a9 Ana Ruiz/dpa", "Boats at dawn.", "Ana Ruiz/dpa"),
    ("Boats at dawn. \u00a9 Ana Ruiz | Courier", "Boats at dawn.", "Ana Ruiz, Courier"),
    ("Boats at dawn. Bild: Ana Ruiz/Archiv", "Boats at dawn.", "Ana Ruiz/Archiv"),
    ("Boats at dawn on Monday (Ana Ruiz/Courier)", "Boats at dawn on Monday", "Ana Ruiz/Courier"),
    ("Boats at dawn (Ana Ruiz, AFP via Getty Images)", "Boats at dawn",
     "Ana Ruiz, AFP via Getty Images"),
    ("\u6e2f\u306e\u8239\uff1d\uff21\uff30", "\u6e2f\u306e\u8239", "\uff21\uff30"),
    ("Boats at dawn: the harbour reopened", "Boats at dawn: the harbour reopened", ""),
    ("Boats at dawn in the harbour / Ana Ruiz", "Boats at dawn in the harbour", "Ana Ruiz"),
    ("Boats at dawn. Isithombe: Ana Ruiz", "Boats at dawn.", "Ana Ruiz"),
    ("Boats at dawn. Zdj\u0119cie: Ana Ruiz", "Boats at dawn.", "Ana Ruiz"),
    ("Boats and nets / sails", "Boats and nets / sails", ""),
    ("Boats at dawn Foto: Ana Ruiz", "Boats at dawn", "Ana Ruiz"),
    ("Boats at dawn as the photo: a test", "Boats at dawn as the photo: a test", ""),
    ("Boats at dawn. Ana Ruiz/Courier", "Boats at dawn.", "Ana Ruiz/Courier"),
    ("Boats at dawn. Ana Ruiz / Courier", "Boats at dawn.", "Ana Ruiz / Courier"),
    ("Boats at dawn - Ana Ruiz/Courier", "Boats at dawn", "Ana Ruiz/Courier"),
])
def test_a_credit_set_off_at_the_end_of_a_caption_line_is_split_off(
        line: str, caption: str, credit: str) -> None:
    assert lead(f"<figure><img src='/lead.jpg'><figcaption>{line}</figcaption></figure>") == (
        caption, credit)


# --- authors ---------------------------------------------------------------------------------

def authors(head: str = "", byline: str = "", lang: str = "en") -> tuple[str, ...]:
    return extract_article(page(head, byline + STORY, lang), URL).authors


def test_json_ld_people_given_by_given_and_family_name_or_by_reference() -> None:
    people = {**NEWS, "author": [{"@type": "Person", "givenName": "Ana", "familyName": "Ruiz"},
                                 {"@id": "#tom"}]}
    graph = {"@graph": [people, {"@type": "Person", "@id": "#tom", "name": "Tom Berg"}]}
    assert authors(jsonld(graph)) == ("Ana Ruiz", "Tom Berg")


@pytest.mark.parametrize(("lang", "line", "expected"), [
    ("de", "Ana Ruiz und Tom Berg", ("Ana Ruiz", "Tom Berg")),
    ("da", "Ana Ruiz og Tom Berg", ("Ana Ruiz", "Tom Berg")),
    ("fr", "Ana Ruiz et Tom Berg", ("Ana Ruiz", "Tom Berg")),
    ("es", "Ana Ruiz y Tom Berg", ("Ana Ruiz", "Tom Berg")),
    ("en", "Ana Ruiz (ar), desk@news.example, 48213", ("Ana Ruiz",)),
    ("en", "Ana Ruiz (aru.)", ("Ana Ruiz",)),
    ("ko", "\ubc15\uc11c\uc5f0 \uae30\uc790", ("\ubc15\uc11c\uc5f0",)),
    ("ja", "\u5c71\u7530\u82b1\u5b50\u8a18\u8005", ("\u5c71\u7530\u82b1\u5b50",)),
])
def test_names_split_on_the_page_languages_and_without_mails_ids_or_initials(
        lang: str, line: str, expected: tuple[str, ...]) -> None:
    assert authors(f"<meta name='author' content='{line}'>", lang=lang) == expected


def test_article_author_meta_is_read_unless_it_is_a_link() -> None:
    assert authors("<meta property='article:author' content='https://social.example/ana'>"
                   "<meta name='article:author' content='Ana Ruiz'>") == ("Ana Ruiz",)


def test_the_name_is_the_link_inside_a_byline_not_the_whole_line() -> None:
    byline = ("<div class='byline'>By <a href='/authors/ana'>Ana Ruiz</a> <a href='/share'>"
              "Share</a> <span>Today 5:00 am</span></div>")
    assert authors(byline=byline) == ("Ana Ruiz",)


def test_an_organisation_or_the_outlet_as_author_yields_to_a_person_in_the_byline() -> None:
    head = jsonld({**NEWS, "author": {"@type": "Organization", "name": "Courier"},
                   "publisher": {"@type": "Organization", "name": "Courier"}})
    byline = "<p class='article-author'>von <a href='/autoren/ana'>Ana Ruiz</a></p>"
    assert authors(head, byline) == ("Ana Ruiz",)
    assert authors(head) == ("Courier",)


def test_the_reporter_in_a_later_author_meta_tag_beats_the_outlet_in_the_first() -> None:
    head = ("<meta property='og:site_name' content='Courier'><meta name='author' content='Courier'>"
            "<meta name='author' content='Ana Ruiz'>")
    assert authors(head) == ("Ana Ruiz",)
    assert authors("<meta name='author' content='Courier'>"
                   "<meta property='og:site_name' content='Courier'>") == ("Courier",)


@pytest.mark.parametrize(("line", "expected"), [
    ("<p><strong>Ana Ruiz/Tom Berg</strong></p>", ("Ana Ruiz", "Tom Berg")),
    ("<p>&nbsp;</p><p><b>Ana Ruiz</b></p>", ("Ana Ruiz",)),
    ("<p><strong>The harbour master</strong></p>", ("Courier",)),
])
def test_the_outlet_as_author_yields_to_a_bold_line_of_names_at_the_storys_start(
        line: str, expected: tuple[str, ...]) -> None:
    head = jsonld({**NEWS, "author": {"name": "Courier"}}) + (
        "<meta property='og:site_name' content='Courier'>")
    assert authors(head, line) == expected


# --- titles ----------------------------------------------------------------------------------

def title(head: str = "", body: str = STORY) -> str:
    return extract_article(page(head, body), URL).title


def test_a_site_name_suffix_is_taken_off_the_headline() -> None:
    head = (jsonld({**NEWS, "headline": "Harbour reopens - Courier.example"})
            + "<meta property='og:site_name' content='Courier.example'>")
    assert title(head) == "Harbour reopens"
    assert title(jsonld({**NEWS, "headline": "Harbour reopens - and the ferry returns"})) == (
        "Harbour reopens - and the ferry returns")


@pytest.mark.parametrize(("social", "expected"), [
    ("Harbour reopens | Local | Courier", "Harbour reopens"),
    ("Harbour reopens--Local news--Courier", "Harbour reopens"),
    ("Harbour reopens | Courier | 04.03.2026", "Harbour reopens"),
    ("Harbour | Boats return after the storm | Courier", "Harbour | Boats return after the storm"),
])
def test_a_section_set_off_before_the_site_name_goes_with_it(social: str, expected: str) -> None:
    head = (f"<meta property='og:title' content='{social}'>"
            "<meta property='og:site_name' content='Courier'>")
    assert title(head) == expected


@pytest.mark.parametrize(("social", "section_tag", "expected"), [
    ("Harbour reopens | Sport", "<meta property='article:section' content='sport'>",
     "Harbour reopens"),
    ("\ud56d\uad6c \uc7ac\uac1c\uc7a5-\uc0ac\ud68c\u3163Courier",
     "<meta name='content_category' content='\uc0ac\ud68c'>", "\ud56d\uad6c \uc7ac\uac1c\uc7a5"),
    ("Harbour hosts the Motor-Sport", "<meta property='article:section' content='Sport'>",
     "Harbour hosts the Motor-Sport"),
    ("Harbour reopens | Sport", "<meta property='article:section' content='Local'>",
     "Harbour reopens | Sport"),
])
def test_the_section_the_page_gives_is_taken_off_the_end_of_the_headline(
        social: str, section_tag: str, expected: str) -> None:
    head = (f"<meta property='og:title' content='{social}'>{section_tag}"
            "<meta property='og:site_name' content='Courier'>")
    assert title(head) == expected


def test_the_social_headline_comes_before_the_first_h1() -> None:
    head = "<meta property='og:title' content='Harbour reopens after repairs'>"
    assert title(head, "<h1>Harbour</h1>" + STORY) == "Harbour reopens after repairs"


def test_a_login_dialogs_h1_is_not_the_headline() -> None:
    body = ("<div class='modal login-modal'><h1>Log In</h1></div><h1>Harbour reopens</h1>"
            + STORY)
    assert title(body=body) == "Harbour reopens"


# --- the body --------------------------------------------------------------------------------

def test_section_headings_stay_in_the_body_as_markdown_headings_the_headline_does_not() -> None:
    body = "<h1>Harbour reopens</h1>" + STORY + "<h2>What comes next</h2>" + STORY
    article = extract_article(page(body=body), URL)
    assert "## What comes next" in article.body.split("\n\n")
    assert "Harbour reopens" not in article.body


def test_a_teaser_that_is_only_a_link_and_a_heading_repeating_the_title_are_dropped() -> None:
    body = ("<h2>Courier: Harbour reopens</h2>" + STORY
            + "<p><a href='/other-story'>Ferry fares rise again next spring</a></p>" + STORY)
    article = extract_article(page(jsonld(NEWS), body), URL)
    assert "Ferry fares" not in article.body and "Courier:" not in article.body
    assert article.body.count("The harbour reopened") == 2


@pytest.mark.parametrize("teaser", [
    "Les ogs\u00e5: Ferry fares rise again", "MORE: Ferry fares rise again", "Czytaj wi\u0119cej",
    "\u00c0 lire aussi Ferry fares rise again", "Read also: Ferry fares rise again"])
def test_a_link_to_another_story_set_off_by_a_read_also_label_is_dropped(teaser: str) -> None:
    body = STORY + f"<p><strong>{teaser}</strong></p>" + STORY
    article = extract_article(page(body=body), URL)
    assert teaser.split()[-1] not in article.body
    assert article.body.count("The harbour reopened") == 2


@pytest.mark.parametrize("line", [
    "For the latest news from the coast, sign up for our free newsletters.",
    "Get the morning briefing in your inbox", "Got a story? Get in touch with our news team.",
    "By submitting your information, you agree to our terms.",
    "Follow the Courier on Twitter and Facebook for the latest news.",
    "Folgst du schon dem Courier auf Whatsapp?", "\u00a9 Courier Wire Ltd. 2026",
    "Copyright: Courier Syndicate, 2026", "Copyright \u00a9 2026 The Courier, LLC.",
    "Foto: Ana Ruiz, Courier", "Image: Ana Ruiz", "Embed", "Link zum YouTube-Inhalt"])
def test_newsletter_follow_us_copyright_and_photo_credit_lines_are_dropped(line: str) -> None:
    article = extract_article(page(body=STORY + f"<p>{line}</p>" + STORY), URL)
    assert line not in article.body and article.body.count("The harbour reopened") == 2


@pytest.mark.parametrize("line", [
    "More than forty boats returned to the harbour before noon on the first day.",
    "Fishermen can sign up for a berth at the harbour office until the end of March.",
    "Copyright law gave the harbour's old charts to the public in the spring."])
def test_prose_that_begins_like_a_label_or_a_notice_stays(line: str) -> None:
    assert line in extract_article(page(body=STORY + f"<p>{line}</p>"), URL).body


OTHER_STORIES = ("<h2>More from the Courier</h2><h3>Ferry fares rise again</h3>"
                 "<p>The operator blames the price of fuel.</p><h3>Lighthouse to reopen</h3>"
                 "<p>Visitors may climb it from May.</p>")


def test_a_list_of_other_stories_under_a_heading_at_the_end_is_not_the_story() -> None:
    article = extract_article(page(body=STORY + STORY + OTHER_STORIES), URL)
    assert "More from" not in article.body and "Ferry fares" not in article.body
    assert article.body.count("The harbour reopened") == 2


def test_a_sidebar_heading_amid_the_storys_paragraphs_is_not_its_end() -> None:
    sidebar = "<h2>Most read in Sport</h2>"
    article = extract_article(page(body=STORY + STORY + sidebar + STORY), URL)
    assert article.body.count("The harbour reopened") == 3


def test_a_page_rendered_by_script_is_read_from_the_html_in_its_hydration_state() -> None:
    state = json.dumps({"article": {"contentHtml": STORY}}).replace("<", "\\u003c")
    html = (f"<html><head><title>Harbour reopens</title></head><body><div id='app'></div>"
            f"<script>window.__STATE__ = {state};</script></body></html>")
    article = extract_article(html, URL)
    assert article.body.startswith("The harbour reopened on Wednesday")
    assert article.provenance["body"] == "hydration-state"
    assert extract_article(page(), URL).provenance["body"] == "trafilatura"


def test_the_lead_pictures_caption_is_read_from_the_hydration_state_the_story_is_in() -> None:
    figure = ("<div class='img-box'><img src='https://img.example/cms/2026/03/8d23917b.jpg'>"
              "<div class='caption'><p>Boats at dawn on the quay. Courier</p></div></div>")
    state = json.dumps({"article": {"contentHtml": figure + STORY}}).replace("<", "\\u003c")
    html = ("<html><head><title>Harbour reopens</title><meta property='og:image' "
            "content='https://img.example/2026/03/8d23917b.jpg'></head><body><div id='app'>"
            f"</div><script>window.__STATE__ = {state};</script></body></html>")
    article = extract_article(html, URL)
    assert article.image is not None
    assert (article.image.caption, article.image.credit) == ("Boats at dawn on the quay.",
                                                             "Courier")
    assert article.provenance["body"] == "hydration-state"
    assert "Boats at dawn" not in article.body


def test_a_page_whose_text_is_only_its_dek_is_read_from_its_hydration_state() -> None:
    state = json.dumps({"article": {"contentHtml": STORY}}).replace("<", "\\u003c")
    dek = "Storm damage had closed the quay for three months, and the repairs ran late."
    html = (f"<html><head><title>Harbour reopens</title></head><body><article>"
            f"<p class='standfirst'>{dek}</p></article>"
            f"<script>window.__STATE__ = {state};</script></body></html>")
    article = extract_article(html, URL)
    assert article.body.startswith("The harbour reopened on Wednesday")
    assert article.provenance["body"] == "hydration-state"


def test_the_cover_image_is_recognised_by_its_id_at_another_size_and_address() -> None:
    figures = ("<figure><img src='/teaser.jpg'><figcaption>Another story.</figcaption></figure>"
               "<div class='gallery'><img src='https://img.example/?u=/p/246270_w400.jpg'>"
               "<p class='caption'>Boats at dawn.</p></div>")
    head = "<meta property='og:image' content='https://cdn.example/thumbs/246270_w2000.jpg'>"
    assert lead(figures, head) == ("Boats at dawn.", "")


def test_the_text_next_to_the_cover_image_is_its_caption_when_nothing_is_named_so() -> None:
    figures = ("<div class='x1'><div><img src='/p/lead-picture.jpg'></div><p>Boats at dawn. "
               "\u00a9 Ana Ruiz/dpa</p></div>")
    head = "<meta property='og:image' content='https://cdn.example/p/lead-picture.jpg'>"
    assert lead(figures, head) == ("Boats at dawn.", "Ana Ruiz/dpa")


# --- times -----------------------------------------------------------------------------------

def published(head: str = "", body: str = STORY) -> datetime | None:
    return extract_article(page(head, body), URL).published_at


AT_NOON_UTC = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)


def test_a_zone_name_in_a_text_time_is_its_offset() -> None:
    head = jsonld({**NEWS, "datePublished": "Wed Mar 04 14:00:00 CEST 2026"})
    assert published(head) == AT_NOON_UTC


def test_a_naive_time_yields_to_the_same_wall_clock_time_with_its_offset() -> None:
    head = jsonld({**NEWS, "datePublished": "2026-03-04T14:00:00"})
    assert published(head, "<time datetime='2026-03-04T14:00:00+02:00'>4 March</time>"
                     + STORY) == AT_NOON_UTC
    # a date alone is not the same moment as a time later that day: the date stays
    head = jsonld({**NEWS, "datePublished": "2026-03-04"})
    assert published(head, "<time datetime='2026-03-04T14:00:00+02:00'>4 March</time>"
                     + STORY) == datetime(2026, 3, 4, tzinfo=timezone.utc)


@pytest.mark.parametrize("head", [
    "<meta property='article:published:time' content='2026-03-04T12:00:00Z'>",
    "<meta itemprop='datePublished' content='2026-03-04T13:00:00+01:00'>",
    "<meta name='date' content='2026-03-04T12:00:00+00:00'>",
])
def test_published_time_meta_tags_and_microdata_are_read(head: str) -> None:
    assert published(head) == AT_NOON_UTC


def test_the_agency_of_the_dateline_is_the_author_where_no_one_else_is_named() -> None:
    outlet = {"@type": "Organization", "name": "Courier"}
    head = jsonld({**NEWS, "author": outlet, "publisher": outlet})
    dateline = "<p>Harbour City (dpa) - " + STORY[3:]
    article = extract_article(page(head, dateline), URL)
    assert (article.authors, article.provenance["authors"]) == (("dpa",), "dateline")
    assert authors(head, "<p class='byline'>By Ana Ruiz</p>" + dateline) == ("Ana Ruiz",)
    assert authors(head) == ("Courier",)


def test_an_organisation_typed_in_a_list_is_an_organisation() -> None:
    head = jsonld({**NEWS, "author": {"@type": ["NewsMediaOrganization"], "name": "Wire"}})
    byline = "<p class='byline'>By <a href='/ana'>Ana Ruiz</a></p>"
    assert authors(head, byline) == ("Ana Ruiz",)


@pytest.mark.parametrize(("line", "caption", "credit"), [
    ("Boats at dawn (Photo: Ana Ruiz/Courier)", "Boats at dawn", "Ana Ruiz/Courier"),
    ("Boats at dawn. Image: Ana Ruiz/Courier", "Boats at dawn.", "Ana Ruiz/Courier"),
    ("Boats at dawn. (AP Photo/Ana Ruiz)", "Boats at dawn.", "(AP Photo/Ana Ruiz)"),
    ("Boats at dawn. (Ana Ruiz/Reuters)", "Boats at dawn.", "Ana Ruiz/Reuters"),
    ("\u591c\u660e\u3051\u306e\u6e2f\uff08\u5c71\u7530\u592a\u90ce\u64ae\u5f71\uff09",
     "\u591c\u660e\u3051\u306e\u6e2f", "\u5c71\u7530\u592a\u90ce"),
    ("\u591c\u660e\u3051\u306e\u6e2f\uff1d\u6e2f\u533a\uff08\u6e2f\u3067\u3001\u5c71\u7530"
     "\u592a\u90ce\u64ae\u5f71\uff09", "\u591c\u660e\u3051\u306e\u6e2f\uff1d\u6e2f\u533a",
     "\u5c71\u7530\u592a\u90ce"),
    ("\u9ec4\u660f\u7684\u6e2f\u53e3\u3002\uff08\u738b\u6797 \u6444\uff09",
     "\u9ec4\u660f\u7684\u6e2f\u53e3\u3002", "\u738b\u6797"),
    ("Boats at dawn. (Foto ANSA)", "Boats at dawn.", "ANSA"),
    ("Boats at dawn. Beeld ANP", "Boats at dawn.", "ANP"),
    ("Boats at dawn. Fot. Ana Ruiz/PAP", "Boats at dawn.", "Ana Ruiz/PAP"),
    ("Boats at dawn on May 1, 2026. \u2014 Picture by Ana Ruiz", "Boats at dawn on May 1, 2026.",
     "Ana Ruiz"),
    ("Boats at dawn. Photos by Ana Ruiz and Tom Berg", "Boats at dawn.", "Ana Ruiz and Tom Berg"),
    ("Boats at dawn. Left: Ana Ruiz, the harbour master", "Boats at dawn. Left: Ana Ruiz, "
     "the harbour master", ""),
    ("Boats return to the quay at dawn. Courier", "Boats return to the quay at dawn.", "Courier"),
    ("Boats at dawn. Ferries at noon.", "Boats at dawn. Ferries at noon.", ""),
    ("Boats at dawn. Then the ferries came back with the tide",
     "Boats at dawn. Then the ferries came back with the tide", ""),
])
def test_a_split_credit_loses_its_label_but_not_the_seed_formats_forms(
        line: str, caption: str, credit: str) -> None:
    assert lead(f"<figure><img src='/lead.jpg'><figcaption>{line}</figcaption></figure>") == (
        caption, credit)


@pytest.mark.parametrize(("element", "credit"), [
    ("Photograph: Ana Ruiz; Courier", "Ana Ruiz, Courier"),
    ("Photograph by Ana Ruiz;", "Ana Ruiz"),
    ("Copyright: Ana Ruiz", "Ana Ruiz"),
    ("\u00a9 Photo AFP / Ana Ruiz", "AFP / Ana Ruiz"),
    ("Photo / Ana Ruiz", "Ana Ruiz"),
    ("Foto/dpa", "dpa"),
    # a copyright notice and the name, each in an element named as a credit: both
    ("All rights reserved&nbsp;</span><span class='credit__name'>Ana Ruiz",
     "All rights reserved Ana Ruiz"),
])
def test_a_credit_element_loses_its_label_and_semicolons_part_a_list(element: str,
                                                                     credit: str) -> None:
    figure = ("<figure><img src='/lead.jpg'><figcaption>Boats at dawn. <span class='credit'>"
              f"{element}</span></figcaption></figure>")
    assert lead(figure) == ("Boats at dawn.", credit)


def test_a_cover_copy_in_a_plain_block_yields_to_the_cover_in_its_figure() -> None:
    figures = ("<div><img src='/p/lead-picture.jpg'><span>Share</span></div>"
               "<figure><img src='/p/lead-picture.jpg'><figcaption>Boats at dawn. "
               "<span class='credit'>Ana Ruiz</span></figcaption></figure>")
    head = "<meta property='og:image' content='https://cdn.example/p/lead-picture.jpg'>"
    assert lead(figures, head) == ("Boats at dawn.", "Ana Ruiz")


@pytest.mark.parametrize(("figcaption", "caption", "credit"), [
    ("<span><p>Boats at dawn.</p></span><span>Ana Ruiz/dpa</span>", "Boats at dawn.",
     "Ana Ruiz/dpa"),
    ("<span>Boats at dawn</span> <span>/ Ana Ruiz</span>", "Boats at dawn", "Ana Ruiz"),
    ("<span>Boats at dawn.</span><span>The ferry returned first.</span>",
     "Boats at dawn. The ferry returned first.", ""),
])
def test_a_short_last_part_of_a_caption_set_apart_is_its_credit(
        figcaption: str, caption: str, credit: str) -> None:
    assert lead(f"<figure><img src='/lead.jpg'><figcaption>{figcaption}</figcaption></figure>"
                ) == (caption, credit)


def test_the_byline_is_looked_for_in_the_article_first_and_slugs_are_not_names() -> None:
    html = ("<html><head><meta name='author' content='ana-ruiz'></head><body>"
            "<aside><p class='author'><a href='/tom'>Tom Berg</a></p></aside><article>"
            "<p class='author'>By <a href='/ana'>Ana Ruiz</a></p>" + STORY + "</article></body>"
            "</html>")
    assert extract_article(html, URL).authors == ("Ana Ruiz",)


def test_an_image_without_a_caption_is_described_by_its_title_attribute() -> None:
    figure = ("<figure><img src='/lead.jpg' alt='Boats' "
              "title='Boats at dawn | Bildquelle: Ana Ruiz/dpa'></figure>")
    assert lead(figure) == ("Boats at dawn", "Ana Ruiz/dpa")


@pytest.mark.parametrize("credit_key", ["creditText", "copyrightHolder", "author"])
def test_a_json_ld_image_gives_its_credit_and_description(credit_key: str) -> None:
    image = {"@type": "ImageObject", "url": "https://cdn.example/p/lead-4711.jpg",
             "description": "Boats at dawn", credit_key: {"@type": "Person", "name": "Ana Ruiz"}}
    head = jsonld({**NEWS, "image": image})
    assert lead("", head) == ("Boats at dawn", "Ana Ruiz")


def test_a_json_ld_images_copyright_notice_is_its_credit() -> None:
    image = {"@type": "ImageObject", "url": "https://cdn.example/p/lead-4711.jpg",
             "caption": "Boats at dawn", "copyrightNotice": "\u00a9 Ana Ruiz/AFP"}
    assert lead("", jsonld({**NEWS, "image": [image]})) == ("Boats at dawn", "Ana Ruiz/AFP")


def test_a_cover_picture_with_many_sources_still_finds_the_caption_block_around_it() -> None:
    sources = "".join(f"<source media='(min-width: {w}px)' srcset='/p/lead-471108-{w}.jpg'>"
                      for w in (0, 400, 800, 1200))
    block = (f"<div class='media'><div><picture>{sources}<img src='/p/lead-471108-948.jpg'>"
             "</picture></div><p class='lead'>Boats at dawn</p>"
             "<p class='photo-credit'>Foto: Ana Ruiz/dpa</p></div>")
    head = "<meta property='og:image' content='https://cdn.example/p/lead-471108-2000.jpg'>"
    assert lead(block, head) == ("Boats at dawn", "Ana Ruiz/dpa")


def test_a_cover_whose_address_only_a_lazy_loaders_attributes_hold_is_found() -> None:
    """A carousel's loader keeps the address in its own data- attributes; src is a stub."""
    cover = "https://cdn.example/p/lead-471108.jpg"
    figure = ("<figure><img src='data:image/gif;base64,R0lGOD' "
              f"data-carousel-lazyload-srcset='{cover} 1x' data-carousel-lazyload='{cover}'>"
              "<figcaption>Boats at dawn. (Ana Ruiz/AP)</figcaption></figure>")
    other = ("<figure><img src='/p/other.jpg'><figcaption>Gulls over the pier. (Tom Berg/AP)"
             "</figcaption></figure>")
    head = f"<meta property='og:image' content='{cover}'>"
    assert lead(other + figure, head) == ("Boats at dawn.", "Ana Ruiz/AP")


def test_a_lazy_loaders_address_is_the_pictures_not_the_stub_in_src() -> None:
    cover = "https://cdn.example/p/lead-471108.jpg"
    figure = (f"<figure><img src='/static/placeholder.gif' data-src='{cover}'>"
              "<figcaption>Boats at dawn.</figcaption></figure>")
    image = extract_article(page("", figure + STORY), URL).image
    assert image is not None and image.url == cover


def test_a_credit_after_a_copyright_sign_in_the_alt_text_is_split_off() -> None:
    figure = ("<figure><img src='/lead.jpg' alt='Boats at dawn on the quay \u00a9 Ana Ruiz/AFP'>"
              "</figure>")
    assert lead(figure) == ("Boats at dawn on the quay", "Ana Ruiz/AFP")


def test_addresses_that_share_only_the_image_servers_number_are_other_pictures() -> None:
    """An image server may put one number (a size limit) in all its addresses: the longer id
    beside it names the picture."""
    def address(picture_id: str) -> str:
        return (f"https://img.example/dims/2147483647/resize/800x450/?url=https%3A%2F%2F"
                f"assets.example%2F{picture_id}")
    promo = (f"<div><div class='promo'><img src='{address('65482a7b452db660')}'></div>"
             "<div class='caption'>About us: an independent news organization.</div></div>")
    figure = (f"<figure><img src='{address('040034dc1ab44c97')}'><figcaption>Boats at dawn. "
              "(Ana Ruiz/AP)</figcaption></figure>")
    head = f"<meta property='og:image' content='{address('040034dc1ab44c97')}'>"
    assert lead(promo + figure, head) == ("Boats at dawn.", "Ana Ruiz/AP")


def test_a_captions_last_block_that_begins_with_a_credit_label_is_its_credit() -> None:
    figure = ("<figure><div class='photo'><picture><source class='lazy-source' "
              "srcset='/lead.webp'><img src='/lead.jpg'></picture></div><figcaption>"
              "<p>Boats at dawn</p><p>Foto: Ana Ruiz, Courier</p></figcaption></figure>")
    assert lead(figure) == ("Boats at dawn", "Ana Ruiz, Courier")


def test_the_writers_portrait_in_the_byline_is_not_the_lead_picture_and_hidden_text_is_not_read(
        ) -> None:
    figures = ("<div class='author-box'><figure><img src='/ana.jpg'><figcaption>Ana Ruiz"
               "</figcaption></figure></div><figure><img src='/lead.jpg'><figcaption>"
               "Boats at dawn. <span>Foto: Tom Berg/AP</span><span hidden>Show more</span>"
               "</figcaption></figure>")
    assert lead(figures) == ("Boats at dawn.", "Tom Berg/AP")


@pytest.mark.parametrize(("head", "byline", "expected", "source"), [
    (jsonld({**NEWS, "author": {"@type": "Person", "name": "Ana Ruiz"}}), "", ("Ana Ruiz",),
     "json-ld"),
    ("<meta name='author' content='Ana Ruiz'>", "", ("Ana Ruiz",), "meta"),
    (jsonld({**NEWS, "author": {"@type": "Organization", "name": "Courier"}}),
     "<p class='byline'>By <a href='/ana'>Ana Ruiz</a></p>", ("Ana Ruiz",), "byline"),
    (jsonld({**NEWS, "author": {"@type": "Organization", "name": "Courier"}}), "",
     ("Courier",), "json-ld"),
])
def test_provenance_says_which_source_gave_the_authors(
        head: str, byline: str, expected: tuple[str, ...], source: str) -> None:
    article = extract_article(page(head, byline + STORY), URL)
    assert (article.authors, article.provenance["authors"]) == (expected, source)
    assert "authors" not in extract_article(page(), URL).provenance


def test_the_outlets_initials_as_author_yield_to_a_link_to_the_writers_author_page() -> None:
    head = ("<meta property='og:site_name' content='Bay Evening Courier'>"
            "<meta name='author' content='BEC'>")
    byline = "<p class='meta'>von <a href='/autoren/name/ana-ruiz'>Dr. Ana Ruiz</a></p>"
    assert authors(head, byline) == ("Dr. Ana Ruiz",)
    assert authors(head) == ("BEC",)  # no person on the page: the organisation stays


def test_an_author_link_in_the_article_beats_an_author_block_outside_it() -> None:
    html = ("<html><head><title>Harbour reopens</title></head><body>"
            "<aside><div class='author'>Tom Berg</div></aside><article>"
            f"<p>By <a href='/author/ana-ruiz'>Ana Ruiz</a></p>{STORY}</article></body></html>")
    assert extract_article(html, URL).authors == ("Ana Ruiz",)


@pytest.mark.parametrize("figure", [
    "<div class='photo'><img src='/lead.jpg'><span class='caption'>Boats at dawn</span>"
    "<small>Ana Ruiz/dpa</small></div>",
    "<figure data-credit='Ana Ruiz/dpa'><img src='/lead.jpg'><figcaption>Boats at dawn"
    "</figcaption></figure>",
    "<figure><img src='/lead.jpg' data-photographer='Ana Ruiz/dpa'><figcaption>Boats at dawn"
    "</figcaption></figure>",
    "<figure><img src='/lead.jpg' title='Foto: Ana Ruiz/dpa'><figcaption>Boats at dawn"
    "</figcaption></figure>",
])
def test_a_credit_beside_the_caption_or_in_an_attribute_is_the_credit(figure: str) -> None:
    assert lead(figure) == ("Boats at dawn", "Ana Ruiz/dpa")


def test_an_images_title_that_is_no_credit_is_not_taken_for_one() -> None:
    figure = ("<figure><img src='/lead.jpg' title='Harbour at dawn'><figcaption>Boats at dawn"
              "</figcaption></figure>")
    assert lead(figure) == ("Boats at dawn", "")


@pytest.mark.parametrize("site", ["courier.example.de", "Courier (www.courier.com)"])
def test_a_web_address_as_author_yields_to_the_person_in_the_byline(site: str) -> None:
    head = f"<meta name='author' content='{site}'>"
    assert authors(head, "<p class='byline'>By <a href='/ana'>Ana Ruiz</a></p>") == ("Ana Ruiz",)
    assert authors(head) == (site,)


@pytest.mark.parametrize("team", ["Redaktion", "Courier Staff", "The Newsroom"])
def test_a_desk_or_team_as_author_yields_to_a_person_but_stays_beside_one(team: str) -> None:
    head = jsonld({**NEWS, "author": {"@type": "Person", "name": team}})
    assert authors(head, "<div class='auteur'>Par Ana Ruiz</div>", "fr") == ("Ana Ruiz",)
    assert authors(head) == (team,)
    both = jsonld({**NEWS, "author": [{"@type": "Person", "name": "Ana Ruiz"},
                                      {"@type": "Person", "name": "Gear Team"}]})
    assert authors(both) == ("Ana Ruiz", "Gear Team")


@pytest.mark.parametrize("control", ["1/12", "View 6 Images", "Vollbild", "Enlarge image"])
def test_a_bare_number_or_a_controls_label_is_no_credit(control: str) -> None:
    figure = ("<figure><img src='/lead.jpg'><figcaption>Boats at dawn.</figcaption>"
              f"<span>{control}</span></figure>")
    assert lead(figure) == ("Boats at dawn.", "")


@pytest.mark.parametrize("control", ["Ver galería", "Galerie öffnen", "Voir la galerie",
                                     "Zur Bildergalerie", "Alle Bilder anzeigen", "Fotostrecke"])
def test_a_gallery_controls_label_in_any_language_is_neither_caption_nor_credit(
        control: str) -> None:
    inside = (f"<figure><img src='/lead.jpg'><figcaption>Boats at dawn. <span>{control}</span>"
              "</figcaption></figure>")
    beside = ("<figure><img src='/lead.jpg'><figcaption>Boats at dawn.</figcaption>"
              f"<span>{control}</span></figure>")
    assert lead(inside) == lead(beside) == ("Boats at dawn.", "")


def test_a_credit_label_in_an_element_of_its_own_is_passed_over_for_the_credit() -> None:
    figure = ("<figure><img src='/lead.jpg'><figcaption><span>Boats at dawn - </span>"
              "<span class='caption__copyright'>Copyright</span>"
              "<span class='caption__credit'>Ana Ruiz/AP</span></figcaption></figure>")
    assert lead(figure) == ("Boats at dawn", "Ana Ruiz/AP")


@pytest.mark.parametrize("shown", ["<p class='meta'>Published March 4, 2026 at 14:05</p>",
                                   "<div data-published='2026.03.04 14:05'></div>"])
def test_a_date_found_without_its_time_takes_the_time_written_after_it(shown: str) -> None:
    article = extract_article(page("", shown + STORY), "https://news.example/harbour")
    assert (article.published_at, article.provenance["published_at"]) == (
        datetime(2026, 3, 4, 14, 5, tzinfo=timezone.utc), "htmldate")


@pytest.mark.parametrize(("head", "figure"), [
    ("<meta property='og:image' content='https://news.example/lead.jpg'>"
     "<meta property='og:image:alt' content='Boats leave the harbour at dawn'>", ""),
    ("", "<figure><img src='/lead.jpg' alt='Boats leave the harbour at dawn'></figure>"),
])
def test_an_image_described_only_by_its_alt_text_has_that_as_its_caption(
        head: str, figure: str) -> None:
    article = extract_article(page(head, figure + STORY), URL)
    assert article.image is not None and article.image.caption == "Boats leave the harbour at dawn"
    assert article.provenance["caption"] == "alt"


def test_a_credit_at_the_end_of_an_alt_text_taken_as_caption_is_split_off() -> None:
    figure = "<figure><img src='/lead.jpg' alt='Boats leave at dawn. (AP Photo/Ana Ruiz)'></figure>"
    assert lead(figure) == ("Boats leave at dawn.", "(AP Photo/Ana Ruiz)")


def test_a_short_alt_text_is_a_label_not_a_caption() -> None:
    assert lead("<figure><img src='/lead.jpg' alt='Harbour'></figure>") == ("", "")


def test_the_cover_is_recognised_in_a_version_of_its_file_at_another_size_or_edit() -> None:
    figures = ("<figure><img src='/teaser.jpg'><figcaption>Another story.</figcaption></figure>"
               "<figure><img src='/uploads/harbour-boats-e1715708581580-1024x576.png?w=1024'>"
               "<figcaption>Boats at dawn.</figcaption></figure>")
    head = "<meta property='og:image' content='https://news.example/uploads/harbour-boats.png'>"
    assert lead(figures, head) == ("Boats at dawn.", "")


@pytest.mark.parametrize(("figures", "caption", "credit"), [
    # the site's logo in a figure is not the lead picture
    ("<figure class='site-logo'><a href='https://news.example'><img src='/theme/courier-logo.svg' "
     "alt='Courier'></a></figure><figure><img src='/lead.jpg'><figcaption>Boats at dawn."
     "</figcaption></figure>", "Boats at dawn.", ""),
    # a caption of only a labelled credit is the credit
    ("<figure><img src='/lead.jpg'><figcaption><strong>Image Credits:</strong> Ana Ruiz"
     "</figcaption></figure>", "", "Ana Ruiz"),
    # a figcaption just after the block its figure fills is its caption
    ("<div><div class='media'><figure><img src='/lead.jpg'></figure></div><figcaption>Boats at "
     "dawn. <cite>(Image: Ana Ruiz/AP)</cite></figcaption></div>", "Boats at dawn.", "Ana Ruiz/AP"),
    # past an empty block beside the figure, a block of figcaptions: caption and credit
    ("<div><figure><img src='/lead.jpg'></figure><div class='overlay'></div></div><div>"
     "<figcaption>Boats at dawn.</figcaption><figcaption class='author'>Foto: Ana Ruiz"
     "</figcaption></div>", "Boats at dawn.", "Ana Ruiz"),
    # a credit on a line of its own before the caption, not a heading that reads as prose
    ("<figure><img src='/lead.jpg'><figcaption><span>Ana Ruiz</span><br>Boats at dawn."
     "</figcaption></figure>", "Boats at dawn.", "Ana Ruiz"),
    ("<figure><img src='/lead.jpg'><figcaption><b>Before the storm</b><br>Boats at dawn."
     "</figcaption></figure>", "Before the storm Boats at dawn.", ""),
])
def test_the_lead_figure_its_caption_and_credit_where_the_markup_sets_them_apart(
        figures: str, caption: str, credit: str) -> None:
    assert lead(figures) == (caption, credit)


@pytest.mark.parametrize("widget", ["Open in fullscreen", "Ver imagen ampliada",
                                    "Bildergalerie \u00f6ffnen", "Ana Ruiz, 4. M\u00e4rz 2026"])
def test_a_controls_label_or_a_byline_and_date_beside_the_caption_is_no_credit(
        widget: str) -> None:
    figure = ("<figure><img src='/lead.jpg'><figcaption>Boats at dawn.</figcaption>"
              f"<span>{widget}</span><span>Ana Ruiz via Courier</span></figure>")
    assert lead(figure) == ("Boats at dawn.", "Ana Ruiz via Courier")


@pytest.mark.parametrize("widget", [
    "<div class='poll'>Should the quay stay open at night? Yes No</div>",
    "<div class='social-share'><a href='/s'>Facebook</a> <a href='/t'>Email</a></div>",
])
def test_a_widget_beside_the_picture_is_neither_caption_nor_credit(widget: str) -> None:
    cover = "https://cdn.example/p/lead-471108.jpg"
    block = f"<div class='media'><img src='{cover}'>{widget}</div>"
    assert lead(block, f"<meta property='og:image' content='{cover}'>") == ("", "")


@pytest.mark.parametrize("control", ["Bild vergr\u00f6\u00dfern", "Click to enlarge",
                                     "F\u00f6rstora bilden", "Powi\u0119ksz", "\ud655\ub300",
                                     "3/12", "3 of 12", "Share this image", "Bild teilen"])
def test_a_controls_label_inside_the_caption_is_neither_caption_nor_credit(control: str) -> None:
    figure = (f"<figure><img src='/lead.jpg'><figcaption>Boats at dawn. <span>{control}</span>"
              "</figcaption></figure>")
    assert lead(figure) == ("Boats at dawn.", "")


def test_words_after_a_captions_last_sentence_are_its_credit_only_if_they_read_as_one() -> None:
    figure = "<figure><img src='/lead.jpg'><figcaption>{}</figcaption></figure>"
    assert lead(figure.format("Boats at dawn. Ana Ruiz")) == ("Boats at dawn.", "Ana Ruiz")
    assert lead(figure.format("Boats leave at dawn. Ferries follow")) == (
        "Boats leave at dawn. Ferries follow", "")


COVER = "<meta property='og:image' content='https://news.example/lead.jpg'>"


@pytest.mark.parametrize(("figures", "caption", "credit"), [
    # a labelled credit in parentheses at the caption's end loses its label and parentheses
    ("<figure><img src='/lead.jpg'><figcaption>Boats at dawn. <small>(Foto: Ana Ruiz/AFP)</small>"
     "</figcaption></figure>", "Boats at dawn.", "Ana Ruiz/AFP"),
    # a credit only in the alt text of a picture whose caption is shown apart
    ("<figure><img src='/lead.jpg' alt='Boats at dawn \u00a9 Courier Foto: Ana Ruiz'>"
     "<figcaption>Boats at dawn.</figcaption></figure>", "Boats at dawn.", "Ana Ruiz"),
    # the last block beside the picture is a photo credit by itself
    ("<div><img src='/lead.jpg'><div>Boats at dawn</div><div>Getty Images</div></div>",
     "Boats at dawn", "Getty Images"),
])
def test_a_credit_in_parentheses_in_the_alt_text_or_in_a_last_block_of_its_own(
        figures: str, caption: str, credit: str) -> None:
    assert lead(figures, COVER) == (caption, credit)


@pytest.mark.parametrize("figures", [
    "<figure><amp-img src='/lead.jpg' layout='fill'></amp-img>"
    "<figcaption>Boats at dawn. (Ana Ruiz/AFP)</figcaption></figure>",
    "<div class='media'><zoom-box><x-image data-src='/lead.jpg'></x-image></zoom-box>"
    "<div class='img-caption-wrap'><span>Boats at dawn.</span> "
    "<span class='image-photographer'>Foto: Ana Ruiz/AFP</span></div></div>",
])
@pytest.mark.parametrize("head", [COVER, ""])
def test_a_picture_shown_by_a_web_components_element_has_its_caption_and_credit(
        figures: str, head: str) -> None:
    """Whether or not the page names its cover image (an AMP page often names none)."""
    assert lead(figures, head) == ("Boats at dawn.", "Ana Ruiz/AFP")


def test_a_page_without_an_article_is_a_lasting_dead_letter_and_a_crash_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The crawl state asks such a page again rarely (`StateSettings.failed_wait`): as served,
    a page of links or an article the schema refuses stays so; an extractor that crashed may
    not crash next time."""
    entry = FeedEntry(link=URL, feed_url="https://news.example/rss")

    def read(html: str) -> Article | DeadLetter:
        return read_page(Page(entry, URL, html, datetime.now(timezone.utc)), checked)

    links = read(page(body="<ul><li><a href='/a'>A story</a></li></ul>"))
    assert isinstance(links, DeadLetter) and links.lasting, links
    refused = read(page(head="<meta property='article:published_time' content='soon'>")
                   .replace("Harbour reopens | Courier", ""))
    assert isinstance(refused, DeadLetter) and refused.stage == "validate" and refused.lasting
    monkeypatch.setattr(extract, "extract_article", lambda *_: 1 / 0)
    crashed = read(page())
    assert isinstance(crashed, DeadLetter) and not crashed.lasting
    assert crashed.reason.startswith("extractor failed: ZeroDivisionError")
