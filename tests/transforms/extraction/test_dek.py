"""The dek: told apart from the story where the extracted text begins with it, found between
the headline and the story where the extractor left it out, and never a caption or a byline."""

from __future__ import annotations

from trafilatura.utils import load_html

from newswire.transforms.extraction.dek import split_dek
from tests.transforms.extraction.markup import page

HEADLINE = "Harbour reopens after winter repairs"
DEK = "Storm damage had closed the quay for three months."
FIRST = "The harbour reopened on Wednesday after a winter of repairs to its stone walls."
SECOND = "Fishing boats returned first, followed by the ferry."
STORY = f"<div class='story'><p>{FIRST}</p><p>{SECOND}</p></div>"


def split(body: str, paragraphs: list[str], descriptions: tuple[str, ...] = ()
          ) -> tuple[str, list[str]]:
    return split_dek(load_html(page(body=f"<h1>{HEADLINE}</h1>{body}")), paragraphs,
                     descriptions, (HEADLINE,))


def test_a_first_block_marked_as_a_dek_leaves_the_story() -> None:
    assert split(f"<p class='standfirst'>{DEK}</p>{STORY}", [DEK, FIRST, SECOND]) == (
        DEK, [FIRST, SECOND])
    assert split(f"<header><p>{DEK}</p></header>{STORY}", [DEK, FIRST]) == (DEK, [FIRST])


def test_an_unmarked_first_block_is_story_text() -> None:
    assert split(f"<p>{DEK}</p>{STORY}", [DEK, FIRST]) == ("", [DEK, FIRST])


def test_a_heading_that_is_the_description_is_the_dek_and_a_headline_after_it_goes() -> None:
    body = f"<h2>{DEK}</h2><h2>{HEADLINE}</h2>{STORY}"
    assert split(body, [f"## {DEK}", f"## {HEADLINE}", FIRST], (DEK,)) == (DEK, [FIRST])


def test_a_dek_the_extractor_left_out_is_found_before_the_story() -> None:
    assert split(f"<div><p>{DEK}</p></div>{STORY}", [FIRST, SECOND], ("", DEK)) == (
        DEK, [FIRST, SECOND])
    named = f"<p class='teaser'>An older teaser line, four words.</p><p class='dek'>{DEK}</p>"
    assert split(named + STORY, [FIRST])[0] == DEK  # the last one named, nearest the story


def test_what_is_not_a_dek_before_the_story() -> None:
    for before in (f"<figure><figcaption>{DEK}</figcaption></figure>",
                   f"<div class='gallery'><div><p>{DEK}</p></div></div>",
                   "<p class='dek'>By Ana Ruiz and Tom Field</p>",
                   "<p class='dek'>Three short words</p>"):
        assert split(before + STORY, [FIRST], (DEK,))[0] == "", before


def test_nothing_after_the_story_begins_and_nothing_the_story_holds_is_a_dek() -> None:
    assert split(f"{STORY}<p class='dek'>{DEK}</p>", [FIRST, SECOND], (DEK,))[0] == ""
    assert split(f"<p class='dek'>{DEK}</p>{STORY}", ["A kicker", DEK, FIRST], (DEK,)) == (
        "", ["A kicker", DEK, FIRST])


def test_a_page_without_a_headline_or_a_story_has_no_dek() -> None:
    tree = load_html(page(body=f"<p class='dek'>{DEK}</p>{STORY}"))
    assert split_dek(tree, [FIRST], (DEK,), (HEADLINE,)) == ("", [FIRST])
    assert split_dek(tree, [], (DEK,), (HEADLINE,)) == ("", [])
