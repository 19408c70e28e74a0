"""The outlet's name from the title tag, the feed title, the masthead logo and the footer."""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

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


@pytest.mark.parametrize(("title", "headline", "site"), [
    ("Council approves plan | The Bay Courier", "Council approves plan", "The Bay Courier"),
    ("Council approves plan - Bay Courier", "Council approves plan", "Bay Courier"),
    ("Council approves plan | Local | Bay Courier", "Council approves plan", "Bay Courier"),
    ("Bay Courier: Council approves plan", "Council approves plan", "Bay Courier"),
    ("White House: Russia acts | Reuters", "White House: Russia acts", "Reuters"),
    ("White House: Russia acts", "White House: Russia acts", ""),
    ("Something else entirely | Site", "Council approves plan", ""),
])
def test_title_site_name(title: str, headline: str, site: str) -> None:
    assert title_site_name(title, headline) == site


@pytest.mark.parametrize(("title", "headline"), [
    ("Council approves plan | The Bay Courier", "Council approves plan"),
    ("Council approves plan - Bay Courier", "Council approves plan"),
    ("Council approves plan", "Council approves plan"),
    ("Mayor: We will rebuild the pier", "Mayor: We will rebuild the pier"),
])
def test_title_suffix_removal(title: str, headline: str) -> None:
    assert strip_site_name(title) == headline


@pytest.mark.parametrize(("feed_title", "host", "site"), [
    ("Harbor City Gazette - Local", "www.harborcitygazette.example", "Harbor City Gazette"),
    ("World news | The Guardian", "www.theguardian.com", "The Guardian"),
    ("Reuters: World News", "www.reuters.com", "Reuters"),
])
def test_feed_site_name(feed_title: str, host: str, site: str) -> None:
    assert feed_site_name(feed_title, host) == site


@pytest.mark.parametrize(("title", "outlets", "headline"), [
    ("Harbour reopens - Courier.de", ["Courier.de"], "Harbour reopens"),
    ("Harbour reopens | Sport | Courier", ["Courier"], "Harbour reopens"),
    ("Harbour reopens - and the ferry returns", ["Courier"],
     "Harbour reopens - and the ferry returns"),
    ("Harbour reopens | Courier", ["AB"], "Harbour reopens | Courier"),
    ("Hafen \u00f6ffnet | S\u00fcdk\u00fcsten Zeitung", ["suedkuesten"], "Hafen \u00f6ffnet"),
    ("Le port rouvre - Le T\u00e9l\u00e9gramme", ["letelegramme"], "Le port rouvre"),
    ("Courier | Harbour reopens", ["Courier"], "Harbour reopens"),
    ("Courier: Harbour reopens", ["courier.example"], "Harbour reopens"),
    ("Courier drivers: harbour reopens", ["Courier"], "Courier drivers: harbour reopens"),
    ("Winter storms: harbour reopens", ["Courier"], "Winter storms: harbour reopens"),
])
def test_strip_outlet(title: str, outlets: list[str], headline: str) -> None:
    assert strip_outlet(title, outlets) == headline


@pytest.mark.parametrize(("title", "sections", "headline"), [
    ("Harbour reopens | Sport", ["Sport"], "Harbour reopens"),
    ("Harbour reopens - Local news", ["News", "local NEWS"], "Harbour reopens"),
    ("\u6e2f\u304c\u518d\u958b-\u793e\u4f1a", ["\u793e\u4f1a"], "\u6e2f\u304c\u518d\u958b"),
    ("Harbour reopens for Motor-Sport", ["Sport"], "Harbour reopens for Motor-Sport"),
    ("Harbour reopens for sport", ["Sport"], "Harbour reopens for sport"),
    ("| Sport", ["Sport"], "| Sport"),
    ("Harbour reopens | Sport", [], "Harbour reopens | Sport"),
])
def test_strip_section(title: str, sections: list[str], headline: str) -> None:
    assert strip_section(title, sections) == headline


@pytest.mark.parametrize(("title", "shown", "headline"), [
    ("Harbour reopens after storm | Sport", "Harbour reopens after storm",
     "Harbour reopens after storm"),
    ("Harbour reopens after storm | Courier | 28.04.2023", "Harbour  reopens after storm",
     "Harbour reopens after storm"),
    ("Harbour reopens after storm--Local--Courier", "harbour reopens after storm",
     "Harbour reopens after storm"),
    # a dash or a colon may be the headline's own; a long tail is more than a section
    ("Harbour reopens after storm - live", "Harbour reopens after storm",
     "Harbour reopens after storm - live"),
    ("Harbour reopens after storm | what we know so far about the damage on the pier",
     "Harbour reopens after storm",
     "Harbour reopens after storm | what we know so far about the damage on the pier"),
    # an <h1> of a word or two is a section label, not the headline
    ("Sport | Harbour reopens", "Sport", "Sport | Harbour reopens"),
    ("Harbour reopens after storm", "", "Harbour reopens after storm"),
])
def test_strip_unshown_tail(title: str, shown: str, headline: str) -> None:
    assert strip_unshown_tail(title, shown) == headline


def page(body: str) -> str:
    return f"<html><head><title>Harbour reopens</title></head><body>{body}</body></html>"


@pytest.mark.parametrize(("body", "name"), [
    ("<a href='/'><img src='/img/top.png' alt='The Bay Courier logo'></a>", "The Bay Courier"),
    ("<div class='masthead'><img src='/img/top.png' alt='Bay Courier'></div>", "Bay Courier"),
    ("<a class='brand-link' href='/'>Bay Courier home</a>", "Bay Courier"),
    ("<p><img src='/img/harbour.jpg' alt='Boats at dawn'></p>", ""),
])
def test_logo_name(body: str, name: str) -> None:
    assert logo_name(load_html(page(body))) == name


@pytest.mark.parametrize(("body", "holder"), [
    ("<footer>&copy; 2026 Bay Courier Media, 1 Pier Rd. All rights reserved.</footer>",
     "Bay Courier Media"),
    ("<div id='site-footer'>Copyright 2026 Harbor Gazette</div>", "Harbor Gazette"),
    ("<p>&copy; 2026 Bay Courier Media</p>", ""),
])
def test_copyright_holder_is_read_from_the_footer(body: str, holder: str) -> None:
    assert copyright_holder(load_html(page(body))) == holder
