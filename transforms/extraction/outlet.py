"""The outlet's name from general page signals, for pages without publisher metadata: the site
name the <title> adds around the headline, the masthead logo, the footer's copyright line, the
feed's title and, last, the domain."""

from __future__ import annotations

import re
import unicodedata

from lxml.html import HtmlElement

# Between a headline and a site name: "Headline | Site", "Site - Headline", "Site: Headline".
_SEPARATOR = re.compile(r"\s*[|\u00b7\u2022\u00bb>]\s*|\s+[-\u2013\u2014/:]\s+|:\s+")
# The separators a bare <title> may end in before a site name; a colon there is the headline's.
_SUFFIX_SEPARATOR = re.compile(r"\s*[|\u00b7\u2022\u00bb]\s*|\s+[-\u2013\u2014]\s+")
_MAX_WORDS = 8
# Between a headline and the outlet it is suffixed with: bars, dots, "--" (_BAR), spaced dashes.
_BAR = r"\s*(?:[|\u00b7\u2022\u00bb\u3163]|--)\s*"
_OUTLET_SEPARATOR = re.compile(rf"{_BAR}|\s+[-\u2013\u2014]\s+")
# A site name before a headline: "Site | Headline", "Site - Headline", "Site: Headline".
_OUTLET_PREFIX = re.compile(rf"(?P<site>[^|:]{{2,60}}?)(?:{_BAR}|\s+[-\u2013\u2014]\s+|:\s+)")
# Before a section name a headline ends in: an outlet separator, or a bare dash after a letter
# of a script without case (Korean, Japanese, Chinese), whose words are never hyphenated.
_SECTION_SEPARATOR = re.compile(rf"(?:{_OUTLET_SEPARATOR.pattern})$")
_BARE_DASH = re.compile(r"(?<=[^\W\d_])[-\u2013\u2014]$")
_MAX_SECTION_WORDS = 2  # a section name between the headline and the outlet: "| Sport |"
# After a headline the page's <h1> shows alone: a bar and a few words, a section, an outlet or
# a date ("Headline | Sport", "Headline | Outlet | 28.04.2023").
_TAIL_SEPARATOR = re.compile(_BAR)
_MAX_TAIL_WORDS = 5
_MIN_SHOWN_WORDS = 3
_MIN_OUTLET = 3
_UMLAUTS = str.maketrans({"\u00e4": "ae", "\u00f6": "oe", "\u00fc": "ue"})
_LOGO_WORDS = re.compile(r"\b(?:logo|home\s*page|homepage|home|go to|link to)\b", re.IGNORECASE)
_LOGO_MARK = re.compile(r"logo|masthead|brand", re.IGNORECASE)
_LOGO_DEPTH = 4  # how far up from an image a logo or masthead container may be
_FOOTERS = "//footer | //*[contains(@id,'footer') or contains(@class,'footer')]"
_COPYRIGHT = re.compile(
    r"(?:\u00a9|\(c\)|copyright)(?:\s*(?:\u00a9|\(c\)|copyright))*\s*"
    r"(?:(?:19|20)\d\d(?:\s*[-\u2013]\s*(?:19|20)\d\d)?\s*,?\s*)?"
    r"(?P<holder>[^\W\d_][^,.|;]{1,60}?)\s*(?:[,.|;]|all rights|$)",
    re.IGNORECASE,
)


def title_site_name(title_tag: str, headline: str) -> str:
    """The site name around `headline` in the <title> text, or '' when it has none.

    Only a title that holds the headline itself is trusted, so a colon or dash inside a headline
    is never taken for a separator; of "Headline | Section | Site" the site is the far end.
    """
    title, headline = " ".join(title_tag.split()), " ".join(headline.split())
    if not headline or len(title) <= len(headline):
        return ""
    if title.casefold().startswith(headline.casefold()):
        parts = _SEPARATOR.split(title[len(headline):])
        return _site(parts[-1]) if len(parts) > 1 and not parts[0].strip() else ""
    if title.casefold().endswith(headline.casefold()):
        parts = _SEPARATOR.split(title[: -len(headline)])
        return _site(parts[0]) if len(parts) > 1 and not parts[-1].strip() else ""
    return ""


def strip_site_name(title: str) -> str:
    """A <title> without the site name its last separator adds ("Headline | Site" -> "Headline")."""
    title = " ".join(title.split())
    separators = list(_SUFFIX_SEPARATOR.finditer(title))
    if separators and _site(title[separators[-1].end():]):
        return title[: separators[-1].start()]
    return title


def strip_outlet(title: str, outlets: list[str]) -> str:
    """A headline without the site name a separator appends to it ("Headline - Site.de"), where
    that name is one of `outlets` (site names, publisher names, the host), and without a section
    of a word or two set off the same way before it ("Headline--Sport--Site"); else without
    the site name a separator or a colon puts before it ("Site | Headline", "Site: Headline")."""
    title = " ".join(title.split())
    known = {squashed for outlet in outlets for squashed in _spellings(outlet)
             if len(squashed) >= _MIN_OUTLET}
    separators = list(_OUTLET_SEPARATOR.finditer(title))
    for number in reversed(range(len(separators))):
        separator = separators[number]
        tails = _spellings(title[separator.end():]) - {""}
        if separator.start() and any(tail in name or name in tail
                                     for tail in tails for name in known):
            before = separators[number - 1] if number else None
            if before is not None and before.group().strip() == separator.group().strip() and (
                    len(title[before.end():separator.start()].split()) <= _MAX_SECTION_WORDS):
                separator = before  # "Headline | Section | Outlet": the section goes too
            return title[: separator.start()]
    prefix = _OUTLET_PREFIX.match(title)
    if prefix and title[prefix.end():].strip() and any(
            head in name for head in _spellings(prefix["site"]) if len(head) >= _MIN_OUTLET
            for name in known):
        return title[prefix.end():]
    return title


def strip_section(title: str, sections: list[str]) -> str:
    """A headline without the section name the page gives for itself where a separator sets it
    off at the end ("Headline | Sport", "Headline-Politik" in Korean)."""
    for section in sections:
        head = title[: -len(section)]
        if title[len(head):].casefold() != section.casefold():
            continue
        if separator := _SECTION_SEPARATOR.search(head):
            end = separator.start()
        elif (dash := _BARE_DASH.search(head)) and _caseless(head[dash.start() - 1]):
            end = dash.start()
        else:
            continue
        if head[:end].strip():
            return head[:end]
    return title


def strip_unshown_tail(title: str, shown: str) -> str:
    """A headline without the few words a bar sets off at its end where the page's `<h1>`
    (`shown`) is the headline without them: a section or outlet the page names nowhere else
    ("Headline | Sport", "Headline--Section--Outlet" beside `<h1>Headline</h1>`)."""
    shown = " ".join(shown.split())
    if len(shown.split()) < _MIN_SHOWN_WORDS or (
            title[: len(shown)].casefold() != shown.casefold()):
        return title
    separator = _TAIL_SEPARATOR.match(title, len(shown))
    if separator and 0 < len(title[separator.end():].split()) <= _MAX_TAIL_WORDS:
        return title[: len(shown)]
    return title


def feed_site_name(feed_title: str, host: str) -> str:
    """The outlet part of a feed title ("Gazette - Local" -> "Gazette"): the part the site's host
    spells out ("World news | The Guardian" on theguardian.com), else the first."""
    parts = [part for part in _SEPARATOR.split(" ".join(feed_title.split())) if _site(part)]
    squashed_host = _squash(host)
    named = [part for part in parts if _squash(part) and _squash(part) in squashed_host]
    return _site((named or parts or [""])[0])


def logo_name(tree: HtmlElement) -> str:
    """The outlet name a masthead logo gives: its alt text, or the brand link's text."""
    for img in tree.iter("img"):
        name = _site(_LOGO_WORDS.sub(" ", img.get("alt", "")))
        if name and is_logo(img):
            return name
    for link in tree.iter("a"):
        if _LOGO_MARK.search(link.get("class", "")):
            text = link.text_content() or link.get("aria-label") or link.get("title") or ""
            if name := _site(_LOGO_WORDS.sub(" ", text)):
                return name
    return ""


def is_logo(img: HtmlElement) -> bool:
    """An image named as a logo, inside a logo or masthead container, or linking home."""
    if _LOGO_MARK.search(" ".join((img.get("src", ""), img.get("class", ""), img.get("id", "")))):
        return True
    for level, node in enumerate(img.iterancestors()):
        if level >= _LOGO_DEPTH:
            break
        if node.tag == "a" and node.get("href", "").strip() == "/":
            return True
        if _LOGO_MARK.search(" ".join((node.get("class", ""), node.get("id", "")))):
            return True
    return False


def copyright_holder(tree: HtmlElement) -> str:
    """The holder a footer's copyright line names ("Copyright (c) 2026 Harbor Gazette, ...")."""
    for footer in tree.xpath(_FOOTERS):
        if match := _COPYRIGHT.search(" ".join(footer.text_content().split())):
            return _site(match["holder"])
    return ""


def _site(text: str) -> str:
    """`text` if it can be a site name: a short phrase with a letter in it, else ''."""
    text = " ".join(text.split()).strip(" .,:;|-")
    if not any(c.isalpha() for c in text) or len(text) > 80:
        return ""
    return text if len(text.split()) <= _MAX_WORDS else ""


def _caseless(letter: str) -> bool:
    return letter.lower() == letter.upper()


def _spellings(text: str) -> set[str]:
    """`text` squashed as a web address may spell it: as written, without accents, and with
    umlauts as two letters ("Süddeutsche" as "sueddeutsche" and "suddeutsche")."""
    folded = text.casefold()
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", folded)
                         if not unicodedata.combining(c))
    return {_squash(folded), _squash(unaccented), _squash(folded.translate(_UMLAUTS))}


def _squash(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())
