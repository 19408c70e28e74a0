"""The lead image from the page's figures, its JSON-LD and Open Graph image, or the feed entry,
and which source gave each part. (Caption and credit rules on whole pages: test_extract_rules.)"""

from __future__ import annotations

from trafilatura.utils import load_html

from newswire.schemas.article import LeadImage
from newswire.transforms.extraction.images import lead_image
from newswire.transforms.extraction.metadata import read_metadata
from newswire.transforms.records import FeedEntry
from tests.transforms.extraction.markup import NEWS, STORY, jsonld, page

URL = "https://news.example/2026/03/harbour"


def lead(head: str = "", body: str = STORY,
         entry: FeedEntry | None = None) -> tuple[LeadImage | None, dict[str, str]]:
    tree = load_html(page(head, body))
    return lead_image(tree, read_metadata(tree), URL, entry)


FIGURE = ("<figure><img src='/media/lead.jpg' alt='Boats'><figcaption>Boats at dawn. "
          "<span class='credit'>Ana Ruiz</span></figcaption></figure>")


def test_a_figure_gives_the_image_its_alt_caption_and_credit() -> None:
    image, provenance = lead(body=FIGURE + STORY)
    assert image == LeadImage(url="https://news.example/media/lead.jpg", alt="Boats",
                              caption="Boats at dawn.", credit="Ana Ruiz")
    assert provenance == {"image": "figcaption", "caption": "figcaption", "credit": "figcaption"}


def test_an_image_followed_by_a_caption_block_is_a_picture() -> None:
    block = ("<div><img src='/media/lead.jpg'><div class='caption'>Boats at dawn. "
             "(AP Photo/Ana Ruiz)</div></div>")
    image, provenance = lead(body=block + STORY)
    assert image is not None
    assert (image.caption, image.credit) == ("Boats at dawn.", "(AP Photo/Ana Ruiz)")
    assert provenance["image"] == "caption-block"


def test_the_open_graph_image_stands_alone_when_the_page_shows_no_picture() -> None:
    head = ("<meta property='og:image' content='/og/lead.jpg'>"
            "<meta property='og:image:alt' content='Boats'>")
    assert lead(head) == (LeadImage(url="https://news.example/og/lead.jpg", alt="Boats"),
                          {"image": "og"})


def test_json_ld_comes_before_open_graph() -> None:
    head = (jsonld({**NEWS, "image": {"@type": "ImageObject", "url": "https://cdn.example/a.jpg",
                                      "caption": "Boats at dawn"}})
            + "<meta property='og:image' content='https://cdn.example/b.jpg'>")
    image, provenance = lead(head)
    assert image is not None
    assert (image.url, image.caption) == ("https://cdn.example/a.jpg", "Boats at dawn")
    assert provenance == {"image": "json-ld", "caption": "json-ld"}


def test_a_caption_is_taken_only_from_a_source_showing_the_same_picture() -> None:
    head = jsonld({**NEWS, "image": {"url": "https://cdn.example/other.jpg",
                                     "caption": "Another picture."}})
    image, provenance = lead(head, "<figure><img src='/media/lead.jpg'></figure>" + STORY)
    assert image is not None
    assert (image.url, image.caption) == ("https://news.example/media/lead.jpg", "")
    assert "caption" not in provenance


def test_the_feed_entrys_image_is_the_last_resort() -> None:
    entry = FeedEntry(link=URL, feed_url="https://news.example/rss",
                      image_url="https://cdn.example/feed.jpg",
                      image_caption="Boats at dawn. (AP Photo/Ana Ruiz)")
    image, provenance = lead(entry=entry)
    assert image == LeadImage(url="https://cdn.example/feed.jpg", caption="Boats at dawn.",
                              credit="(AP Photo/Ana Ruiz)")
    assert provenance == {"image": "feed", "caption": "feed", "credit": "feed"}


def test_a_page_and_entry_without_images_have_no_lead_image() -> None:
    assert lead() == (None, {})
