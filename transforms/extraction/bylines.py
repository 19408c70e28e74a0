"""Bylines: the author names in a "By Jane Doe, Staff Writer" line, and telling such a line apart
from a sentence that merely starts with "By" ("By Tuesday, officials said ...")."""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

_PREFIX = re.compile(r"^(?:(?:words|written|story|text)\s+)?by\s+", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"(\s*,\s*(?:and\s+)?|\s+and\s+|\s*[&/|\u00b7\u2022]\s*)")
# Where a list of names may go on with a place, a role or a date: "Ana Ruiz, Berlin",
# "Ana Ruiz | Redakteurin", "Ana Ruiz \u00b7 4 March".
_ASIDE = {",", "|", "\u00b7", "\u2022"}
# A label before a byline's names: "Text:", "Autorin:", "Author:".
_LABEL = re.compile(r"^[^\W\d_]+\s*:\s*")
# Words that name a job, in English and in a few other languages' stems ("Redakteurin").
_JOBS = (r"writer|reporter|correspondent|editor|contributor|columnist|critic|producer|journalist|"
         r"redakteur|korrespondent|autor|r\u00e9dact|correspondant|corresponsal|periodista|"
         r"redactor|giornalist")
_JOB = re.compile(rf"(?:{_JOBS})\w*", re.IGNORECASE)
# Where a name ends and a role or an organisation begins: "Jane Doe, Staff Writer",
# "JANE DOE Associated Press", "Jane Doe for The Times".
_ROLE_WORD = re.compile(
    rf"(?:{_JOBS}|staff|associated|press|news|wire|bureau|desk|chief|senior|special|reuters|"
    r"afp|ap|bloomberg|cnn|bbc|the|for|of|at)s?",
    re.IGNORECASE,
)
_CONNECTORS = {"the", "for", "of", "at"}
_LOCATION = re.compile(r"\s+in\s+[A-Z][\w .'-]*$")
_PARTICLES = {"de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van", "von",
              "bin", "al", "el", "ibn", "y", "dos", "das", "ter"}
_NOT_NAMES = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
              "january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december", "the", "then", "now", "far"}
_MAX_WORDS = 5
# The page language's word for "and", between two names.
_AND = {"de": "und", "da": "og", "no": "og", "nb": "og", "nn": "og", "sv": "och", "fr": "et",
        "es": "y", "pt": "e", "it": "e", "nl": "en", "ca": "i", "fi": "ja", "pl": "i",
        "cs": "a", "sk": "a"}
# The page language's word for "by" before a byline's names ("Von Ana Ruiz", "par Ana Ruiz");
# Italian's only in lower case, as "Di Marco" is a surname.
_BY = {"de": "(?i:von)", "da": "(?i:af)", "no": "(?i:av)", "nb": "(?i:av)", "nn": "(?i:av)",
       "sv": "(?i:av)", "fr": "(?i:par)", "es": "(?i:por)", "pt": "(?i:por)", "nl": "(?i:door)",
       "it": "di"}
# The page language's word for "with" before the agency a byline adds ("Ana Ruiz mit dpa").
_WITH = {"en": "with", "de": "mit", "fr": "avec", "es": "con", "it": "con", "pt": "com",
         "nl": "met", "da": "med", "no": "med", "nb": "med", "nn": "med", "sv": "med"}
_INITIALS = re.compile(r"\s*\([a-z]{1,4}\.?\)$")  # "Jane Doe (jd)": the author's desk initials
# A time the byline's text runs on into: "Jane Doe Updated 12:00 GMT", "Ana Ruiz Stand: 4. März".
_STAMP_AFTER = re.compile(r"\s+(?:(?:updated|published|posted|aktualisiert|ver\u00f6ffentlicht|"
                          r"publi\u00e9|mis \u00e0 jour|actualizado|publicado)\b|stand:).*$",
                          re.IGNORECASE)
# A job title written after the name, as Korean, Japanese and Chinese bylines do ("Name 기자").
_TITLE_AFTER = re.compile(r"\s*(?:기자|특파원|記者|特派員|记者)$")
# An e-mail address, a URL, a URL slug ("jane-doe") or anything with a digit (a date, a time,
# an id) is not a name.
_NOT_A_NAME = re.compile(r"@|://|\d|^www\.|^[a-z]+(?:-[a-z]+)+$")
# The elements a page marks as its byline: by class, then by rel or microdata, then a block
# named after its author(s); looked for in the (first) article, then in the whole page.
_BYLINES = tuple(etree.XPath(path) for path in (
    ".//*[contains(@class,'byline')]", ".//a[@rel='author'] | .//*[@itemprop='author']",
    ".//*[(contains(@class,'author') or contains(@class,'auteur') or contains(@class,'autor'))"
    " and not(self::img or self::meta or self::script)]",
    ".//a[contains(@href,'/author') or contains(@href,'/autor') or contains(@href,'/auteur')]"))
_MAX_LENGTH = 160
# A dateline naming a news agency at a story's start: "Berlin (dpa) -", "BERLIN (AP) \u2014",
# "Wien (APA/AFP):"; an agency's short name is in lower case or capitals.
_AGENCY = r"(?:[a-z]{2,5}|[A-Z]{2,6})"
# What may follow "with" in a byline for it to part two authors: an agency's short name or
# names ("dpa", "dpa/AFP"), or one capitalised word ending the byline ("Reuters").
_WITH_AGENCY = rf"(?=(?:{_AGENCY}(?:[-/]{_AGENCY})*|[A-Z][a-z]+)\.?$)"
# An agency in capitals in parentheses after a name, a second author ("Ana Ruiz (AFP)"); in
# lower case it may be the desk's initials for the writer ("Ana Ruiz (ar)"), dropped.
_AGENCY_AFTER = re.compile(r"\s*\((?P<agency>[A-Z]{2,6}(?:[-/][A-Z]{2,6})*)\)$")
_DATELINE = re.compile(rf"^[*_\s]*(?:[^\W\d_][\w.'\u2019 /-]{{0,40}}?\s*)?"
                       rf"\((?P<agency>{_AGENCY}(?:[-/]{_AGENCY})*)\)[*_]*\s*[-\u2013\u2014:]")
# A paragraph that is only bold text, near the story's start: where a small site writes its
# byline ("<p><strong>Ana Ruiz/Tom Berg</strong></p>").
_BOLD_LINES = etree.XPath("(.//p[count(*)=1][strong or b][not(normalize-space(text()))])"
                          "[position() <= 3]")
_LEAD_PARAGRAPHS = 8  # how many of the article's first paragraphs the bold byline may follow


def byline_names(text: str) -> list[str] | None:
    """The names in a byline-only line ("By A and B, Staff Writers"), or None if it is not one;
    a byline that names no person ("By Reuters Staff") gives an empty list."""
    line = " ".join(text.split())
    prefix = _PREFIX.match(line)
    if not prefix or len(line) > _MAX_LENGTH or not line[prefix.end():].strip(" ."):
        return None
    found: list[str] = []
    for segment in _split_names(line[prefix.end():].rstrip(".")):
        words = _LOCATION.sub("", segment.strip()).split()
        role = next((i for i, word in enumerate(words) if _ROLE_WORD.fullmatch(word)), len(words))
        name = " ".join(words[:role])
        if (name and not is_name(name)) or not all(
                word[0].isupper() or word in _CONNECTORS for word in words[role:]):
            return None
        if name:
            found.append(name)
    return found


def _split_names(text: str) -> list[str]:
    """A list of names split on commas, "and", "&", slashes, bars and dots, without a place or
    a role after a full name and a comma, bar or dot ("Ana Ruiz, Berlin", "Ana Ruiz |
    Redakteurin", "Ana Ruiz, Korrespondentin in Berlin")."""
    parts = _NAME_SPLIT.split(text)
    names = parts[:1]
    for separator, part in zip(parts[1::2], parts[2::2], strict=True):
        if not (separator.strip() in _ASIDE and len(names[-1].split()) > 1 and _aside(part)):
            names.append(part)
    return names


def _aside(part: str) -> bool:
    """Whether a part after a full name is a place or a role, not a second author, who would be
    named in full: one capitalised word, words with a lower-case one that no name has, or words
    naming a job ("Senior Correspondent")."""
    words = part.split()
    if len(words) == 1:
        return part.istitle()
    return any((word[0].islower() and word not in _PARTICLES) or _JOB.fullmatch(word)
               for word in words)


def is_name(text: str) -> bool:
    """Whether `text` reads as a person's name: a few capitalised words, initials or particles."""
    words = text.split()
    if not 0 < len(words) <= _MAX_WORDS or words[0].lower() in _NOT_NAMES:
        return False
    return all((word[0].isupper() and not any(c.isdigit() for c in word))
               or word.lower() in _PARTICLES for word in words)


def clean_names(values: list[str], language: str = "") -> list[str]:
    """Author names from raw byline or metadata values: "By" (or the page language's word for
    it before a capital: "Von Ana Ruiz", not "von der Leyen"), roles, e-mail addresses, ids,
    initials in parentheses and duplicates removed; several names split as `_split_names`
    does, on the page language's "and", on its "with" before an agency ("Ana Ruiz mit dpa"),
    and before an agency in capitals in parentheses ("Ana Ruiz (AFP)")."""
    conjunction, by, with_ = _AND.get(language), _BY.get(language), _WITH.get(language)
    cleaned: list[str] = []
    for value in values:
        value = _STAMP_AFTER.sub("", " ".join(value.split()))
        if conjunction:
            value = re.sub(rf"\s+{conjunction}\s+", " and ", value)
        if with_:
            value = re.sub(rf"\s+{with_}\s+{_WITH_AGENCY}", " and ", value)
        value = _AGENCY_AFTER.sub(r" and \g<agency>", value)
        if by:
            value = re.sub(rf"^{by}\s+(?=[A-Z\u00c0-\u00de])", "By ", value)
        names = byline_names(value)
        if names is None:
            names = [name for name in _split_names(_PREFIX.sub("", value)) if name]
        for name in names:
            name = _TITLE_AFTER.sub("", _INITIALS.sub("", name)).strip()
            if name and not _NOT_A_NAME.search(name) and name not in cleaned:
                cleaned.append(name)
    return cleaned


def page_byline(tree: HtmlElement) -> list[str]:
    """The names in the element the page marks as its byline: the names its links give, else
    its text; an empty list if it marks none."""
    scopes = [scope for scope in (next(tree.iter("article"), None), tree) if scope is not None]
    for element in (element for scope in scopes for path in _BYLINES for element in path(scope)):
        links = [_PREFIX.sub("", " ".join(a.text_content().split())) for a in element.iter("a")]
        named = [link for link in links if is_name(link) and len(link.split()) > 1]
        if named:
            return named
        text = _LABEL.sub("", _byline_text(element))
        if len(text) > _MAX_LENGTH:
            continue  # an author's box with a biography
        first = _split_names(_PREFIX.sub("", text))[0]
        if "byline" in (element.get("class") or "") or is_name(_INITIALS.sub("", first)):
            return [text]
    return []


def _byline_text(element: HtmlElement) -> str:
    """A byline element's text without its times, with a bar where two of its elements' texts
    would run together ("Ana Ruiz<br>Redakteurin": "Ana Ruiz | Redakteurin")."""
    text = ""
    for piece in element.xpath(".//text()[not(ancestor::time)]"):
        if text and piece and not text[-1].isspace() and not piece[0].isspace() and (
                text[-1].isalnum() and piece[0].isalnum()):
            text += " | "
        text += piece
    return " ".join(text.split())


def dateline_agency(paragraph: str) -> list[str]:
    """The news agency a story's dateline names ("Berlin (dpa) - ..." gives ["dpa"]), where
    the agency wrote the story; an empty list if its first paragraph opens with none."""
    match = _DATELINE.match(paragraph)
    return [match["agency"]] if match else []


def bold_byline(tree: HtmlElement) -> list[str]:
    """The names of a bold-only paragraph among the (first) article's first ones that holds
    only full names ("Ana Ruiz", "Ana Ruiz/Tom Berg"); an empty list if there is none."""
    article = next(tree.iter("article"), None)
    if article is None:
        return []
    lead = set(list(article.iter("p"))[:_LEAD_PARAGRAPHS])
    for paragraph in _BOLD_LINES(article):
        if paragraph not in lead:
            break
        found = _split_names(" ".join(paragraph.text_content().split()))
        if all(is_name(name) and len(name.split()) > 1 for name in found):
            return found
    return []
