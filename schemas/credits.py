"""Credits: the photo credit at the end of a caption, and the closing credits line of a story."""

from __future__ import annotations

import re

from newswire.schemas.article import Credits

# A photo credit, as the whole of a caption's last sentence: REUTERS/Name/File Photo,
# (AP Photo/Name), Photo: Name/Agency, Name/AFP via Getty Images, Name, AFP via Getty Images,
# Name/Pool via REUTERS, EPA-EFE/NAME, Getty Images.
_AGENCIES = r"Reuters|REUTERS|AFP|AP|EPA|Bloomberg|Shutterstock|Pool|POOL|Xinhua|Anadolu|PA"
# An agency's own style (AP Photo/Name), which the seed format writes in its parentheses.
_AGENCY_PHOTO = r"(?:AP|AFP|EPA(?:-EFE)?|UPI|PA|Xinhua|Anadolu|Bloomberg)\ (?:Photo|Images)"
_PHOTO_CREDIT = re.compile(
    rf"""^\(?(?:
        (?:REUTERS|Reuters|EPA(?:-EFE)?|AFP|UPI|Xinhua|XINHUA|Anadolu|ANADOLU|POOL|Pool)/[^()]+
      | {_AGENCY_PHOTO}(?:/[^()]+)?
      | (?:Photo(?:graph)?|Picture|Image|Credit)s?\s*:\s*[^()]+
      | (?:Photo(?:graph)?|Picture|Image)s?\ by\ [^()]+
      | [^()./\u00a9]{{2,60}}/(?:(?:[\w ]+\ via\ )?Getty\ Images|{_AGENCIES})(?:/[^()]+)?
      | (?:[A-Z][\w'-]*\ ){{0,3}}(?:via\ )?Getty\ Images
      | (?:[A-Z][\w'-]*[,/]?\ ?){{1,6}}(?<=\ )via\ (?:Getty\ Images|{_AGENCIES})
      | AFP|AP|REUTERS|Reuters|EPA|EPA-EFE|Xinhua|Shutterstock
    )\)?$""",
    re.VERBOSE,
)
_AGENCY_STYLE = re.compile(rf"\({_AGENCY_PHOTO}\b")
# Where a caption's last sentence may begin: after sentence punctuation and a space.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\"”')])\s+")


def is_photo_credit(text: str) -> bool:
    """Whether `text` as a whole reads as a photo credit."""
    return bool(_PHOTO_CREDIT.match(text.strip()))


def is_agency_style(credit: str) -> bool:
    """Whether a credit is an agency's own "(AP Photo/Name)", kept as the seed format writes it."""
    return bool(_AGENCY_STYLE.match(credit.strip()))


def split_caption(text: str) -> tuple[str, str]:
    """Split a caption line into (caption, photo credit); the credit is '' when there is none."""
    text = text.strip()
    if is_photo_credit(text):
        return "", text
    for match in _SENTENCE_BREAK.finditer(text):
        tail = text[match.end():]
        if is_photo_credit(tail):
            return text[: match.start()], tail
    return text, ""


# What a credit element's text may carry besides the credit: a copyright sign, a short label
# ("Foto:", "Image credit:", "Photograph:"), or one without a colon before a name ("Foto ANSA",
# "Beeld ANP", "Fot. PAP") or before a slash ("Photo / Name"), wrapping parentheses, a leading
# separator.
_BARE_LABEL = r"(?:photo|foto|fot\.|beeld)\s+(?=(?-i:[A-Z\u00c0-\u00de]))"
_SLASHED_LABEL = r"(?:photo|foto|bild|picture|image)s?\s*/"
_CREDIT_LABEL = re.compile(rf"^(?:(?:\u00a9|\(c\)|copyright\b)\s*:?|courtesy of\b|{_BARE_LABEL}|"
                           rf"{_SLASHED_LABEL}|"
                           r"(?:photo(?:graph)?s?|pictures?|images?)\ by\b|"
                           r"[^\W\d_][^\W\d]*(?:\ [^\W\d]+)?\s*[:\uff1a])\s*", re.IGNORECASE)
_CREDIT_LEAD = re.compile(r"^[\s|/\u2013\u2014\-\u2022\u00b7]+")
_CREDIT_TRAIL = re.compile(r"[\s;,]+$")
_CREDIT_PARTS = re.compile(r"\s+\|\s+|\s*;\s+")
# The one label the seed format writes as part of a credit ("Photo: Name/Agency"), kept.
_SEED_LABEL = "Photo: "
_PARTICLE = 3  # the longest lower-case word a credit's names may hold ("via", "og", "von")
_WORD = re.compile(r"[^\W\d_]+")


# A credit at the end of a caption line, set off by a label, a copyright sign, a bar or
# parentheses: "... (Picture: Name/AP)", "... (Foto ANSA)", "... | Foto: Name",
# "... \u00a9 Name/dpa", "... (Name/Agency)", "...\uff1dAgency", "...\uff08Name\u64ae\u5f71\uff09"
# (Japanese: "photographed by Name"; Chinese writes \u6444 or \u651d), "... \u2014 Picture by
# Name", "... / Name", a capitalised label after the last word ("... at dawn Foto: Name"), and a
# bare name or agency of a few words after the last sentence or a bar ("... at dawn. Agency",
# "... at dawn. Name/dpa").
_LABELS = (r"(?:photo(?:graph)?s?|fotos?|picture|pics?|images?|bild(?:er)?|bildquelle|quelle|"
           r"symbolfoto|credits?|(?:image|photo)\ credits?|source|fuente|cr\u00e9dits?|"
           r"\u0444\u043e\u0442\u043e|courtesy\ of|isithombe|zdj\u0119cie|kuva|billede|fot\u00f3|"
           r"foto\u011fraf|\u5199\u771f|\uc0ac\uc9c4|\u56fe\u7247|\u5716\u7247|\u6444\u5f71|\u651d\u5f71)")
_CAPITALISED = r"[A-Z\u00c0-\u00de][\w'\u2019.-]*"  # a word of a name ("Ana", "O'Neil")
# A name or agency of a few words, then one to three more after slashes: "Ana Ruiz/dpa",
# "Ana Ruiz / Agency".
_WORDS = r"[^\W\d_][\w'\u2019.-]*(?:\ [^\W\d_][\w'\u2019.-]*){0,3}"
_SLASHED = rf"{_WORDS}(?:\ ?/\ ?{_WORDS}){{1,3}}"
_TRAILING_CREDIT = re.compile(
    rf"""(?:
        \s+\|\s*(?P<bar>(?:{_LABELS}\s*:|\u00a9).{{1,120}})
      | \s*(?P<label>\((?:{_LABELS}\s*:|{_BARE_LABEL})[^()]{{1,120}}\))
      | \s+(?P<sign>\u00a9\s*[^\u00a9]{{1,120}})
      | (?<=[.!?])\s+(?P<sentence>{_LABELS}\s*:\s*[^()]{{1,120}})
      | \s+(?P<capital>(?=(?-i:[A-Z\u00c0-\u00de\u0400-\u042f])){_LABELS}\s*:\s*[^():]{{1,120}})
      | (?:(?<=[.!?])|\s[|\u2013\u2014-])\s+(?P<slashed>{_SLASHED})
      | (?:(?<=[.!?])|\s[\u2013\u2014-])\s+(?P<by>(?:photo(?:graph)?s?|pictures?|images?)
            \ by\ [^()]{{1,80}})
      | (?<=[.!?])\s+(?P<word>[^\W\d_][\w'\u2019-]*(?:\ [^\W\d_][\w'\u2019-]*){{0,2}})
      | \s+(?P<slash>\([^()/.]{{2,60}}/[^()]{{2,60}}\))
      | \s+(?P<via>\([^()]{{2,60}}\ via\ [^()]{{2,40}}\))
      | \s/\s(?P<spaced>(?-i:{_CAPITALISED}(?:\ {_CAPITALISED}){{0,3}}))
      | \uff1d(?P<kana>[^\uff1d\s\uff08\uff09()]{{1,20}})
      | [\uff08(](?:[^\uff08\uff09()]*[\u3001,\uff0c]\s*)?
        (?P<shot>[^\uff08\uff09()\u3001,\uff0c]{{1,20}}?)\s*(?:\u64ae\u5f71|\u6444|\u651d)[\uff09)]
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


# Caption text that is not the caption: a separator, or a credit's bare label ("- Copyright",
# "Foto:"), left at its end where the credit was taken out.
_CAPTION_TRAIL = re.compile(
    rf"(?:[\s|/\u2013\u2014\u2022\u00b7-]+(?:\u00a9|copyright|{_LABELS}\s*:))?"
    r"[\s|/\u2013\u2014\u2022\u00b7-]*$", re.IGNORECASE)
_LABELLED = re.compile(rf"^(?:{_LABELS}\s*:|\u00a9)", re.IGNORECASE)


def is_labelled_credit(text: str) -> bool:
    """Whether `text` begins as a credit does: a credit label and a colon, or a copyright
    sign ("Foto: Name", "\u00a9 Agency")."""
    return bool(_LABELLED.match(text.strip()))


def reads_as_credit(text: str) -> bool:
    """Whether unnamed text beside a caption reads as a credit rather than a control's label
    or a byline and date ("Bild vergrößern", "Open in fullscreen", "Ana Ruiz, 4. März"): it
    begins with a credit label or a copyright sign, or parts names with a slash, or has no
    digit and no lower-case word longer than a particle ("Ana Ruiz", "Bloomberg via Getty")."""
    if is_labelled_credit(text) or "/" in text:
        return True
    return not any(c.isdigit() for c in text) and not any(
        len(word) > _PARTICLE and word[0].islower() for word in _WORD.findall(text))


def split_trailing_credit(text: str) -> tuple[str, str]:
    """Split a caption line into (caption, bare credit) where a label, a copyright sign, a bar
    or parentheses set the credit off at its end; the credit is '' when there is none."""
    text = " ".join(text.split())
    match = _TRAILING_CREDIT.search(text)
    if not match or (match["word"] and not reads_as_credit(match["word"])):
        return text, ""  # "... at dawn. Bild vergrößern": a control's label, not a credit
    return text[: match.start()].rstrip(), clean_credit(next(g for g in match.groups() if g))


def clean_credit(text: str) -> str:
    """A credit element's text as a bare credit: "(Foto: A/dpa)" and "\u00a9 A | B" become
    "A/dpa" and "A, B"; "Photo: A" is kept as the seed format writes it."""
    credit = " ".join(text.replace("\u200b", " ").split())  # a zero-width space: a break
    if credit.startswith(_SEED_LABEL):
        return credit
    while True:
        bare = _CREDIT_LEAD.sub("", credit)
        if bare.startswith("(") and bare.endswith(")") and bare.count("(") == 1:
            bare = bare[1:-1].strip()
        bare = _CREDIT_LABEL.sub("", bare, count=1)
        if bare == credit:
            break
        credit = bare
    if credit.endswith(")") and "(" not in credit:
        credit = credit[:-1].rstrip()
    return _CREDIT_PARTS.sub(", ", _CREDIT_TRAIL.sub("", credit))


def clean_caption(text: str) -> str:
    """A caption without a separator left at its end where its credit was cut off."""
    return _CAPTION_TRAIL.sub("", " ".join(text.split()))


def join_caption(caption: str, credit: str) -> str:
    """The caption line as the seed format writes it: caption, a space, credit."""
    return " ".join(part for part in (caption, credit) if part)


# The closing credits line: `Reporting by A and B; Additional reporting by C; Editing by D`.
_ROLES = {
    "additional reporting": "additional_reporting",
    "with assistance": "additional_reporting",
    "reporting and writing": "reporting",
    "reporting": "reporting",
    "writing": "writing",
    "written": "writing",
    "compiled": "writing",
    "editing": "editing",
    "edited": "editing",
}
_ROLE_NAMES = "|".join(sorted(_ROLES, key=len, reverse=True))
_ROLE_SEGMENT = re.compile(rf"^(?P<role>{_ROLE_NAMES})\s+(?:by|from)\s+(?P<names>.+)$",
                           re.IGNORECASE)
# Segments end at ';' or ' -- ', or at '.' or ',' when the next role follows
# ("Reporting by A. Editing by B", "Reporting by A, editing by B").
_SEGMENT_BREAK = re.compile(
    rf";|\s+--\s+|(?<=[.,])\s+(?=(?:{_ROLE_NAMES})\s+(?:by|from)\s)", re.IGNORECASE)
_STARTS_WITH_ROLE = re.compile(rf"^\(?\s*(?:{_ROLE_NAMES})\s+(?:by|from)\s", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_LOCATION = re.compile(r"\s+in\s+[A-Z][\w .'-]*$")
_MAX_NAME_WORDS = 6


def parse_credits_line(line: str) -> Credits | None:
    """Parse a closing credits line into its roles, or None if `line` is not one.

    Every segment must name a role and people ("Editing by machine learning" is prose)."""
    raw = line.strip()
    if not _STARTS_WITH_ROLE.match(raw):
        return None
    inner = raw.strip("()").strip()
    segments = [s.strip().rstrip(".,").strip() for s in _SEGMENT_BREAK.split(inner) if s.strip()]
    if not segments:
        return None
    roles: dict[str, list[str]] = {}
    for segment in segments:
        match = _ROLE_SEGMENT.match(segment)
        if not match:
            return None
        role = _ROLES[match["role"].lower()]
        names = [_LOCATION.sub("", n).strip() for n in _NAME_SPLIT.split(match["names"])]
        names = [name for name in names if name]
        if not names or not all(_is_name(name) for name in names):
            return None
        roles.setdefault(role, []).extend(names)
    return Credits(raw=raw, **{role: tuple(names) for role, names in roles.items()})


def _is_name(text: str) -> bool:
    """A person's or desk's name: a few words, the first capitalised ("the Beijing newsroom"
    counts too)."""
    words = text.removeprefix("the ").split()
    return 0 < len(words) <= _MAX_NAME_WORDS and words[0][0].isupper()
