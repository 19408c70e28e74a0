"""Credits: the photo credit at the end of a caption, and the closing credits line of a story."""

from __future__ import annotations

import re

from schemas.article import Credits

# A photo credit, as the whole of a caption's last sentence: REUTERS/Name/File Photo,
# (AP Photo/Name), Photo: Name/Agency, Name/AFP via Getty Images, Getty Images.
_AGENCIES = r"Reuters|REUTERS|AFP|AP|EPA|Bloomberg|Shutterstock|Pool|POOL|Xinhua|Anadolu|PA"
_PHOTO_CREDIT = re.compile(
    rf"""^\(?(?:
        REUTERS/[^()]+
      | (?:AP|AFP|EPA(?:-EFE)?|UPI|PA|Xinhua|Anadolu|Bloomberg)\ (?:Photo|Images)(?:/[^()]+)?
      | (?:Photo(?:graph)?|Picture|Image|Credit)s?\s*:\s*[^()]+
      | [^()./]{{2,60}}/(?:(?:[\w ]+\ via\ )?Getty\ Images|{_AGENCIES})(?:/[^()]+)?
      | (?:[\w.'-]+\ ){{0,4}}(?:via\ )?Getty\ Images
    )\)?$""",
    re.VERBOSE,
)
# Where a caption's last sentence may begin: after sentence punctuation and a space.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\"”')])\s+")


def is_photo_credit(text: str) -> bool:
    """Whether `text` as a whole reads as a photo credit."""
    return bool(_PHOTO_CREDIT.match(text.strip()))


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


def join_caption(caption: str, credit: str) -> str:
    """The caption line as the seed format writes it: caption, a space, credit."""
    return " ".join(part for part in (caption, credit) if part)


# The closing credits line: `Reporting by A and B; Additional reporting by C; Editing by D`.
_ROLES = {
    "additional reporting": "additional_reporting",
    "reporting and writing": "reporting",
    "reporting": "reporting",
    "writing": "writing",
    "written": "writing",
    "compiled": "writing",
    "editing": "editing",
    "edited": "editing",
}
_ROLE_SEGMENT = re.compile(
    r"^(?P<role>" + "|".join(sorted(_ROLES, key=len, reverse=True)) + r")\s+by\s+(?P<names>.+)$",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_LOCATION = re.compile(r"\s+in\s+[A-Z][\w .'-]*$")


def parse_credits_line(line: str) -> Credits | None:
    """Parse a closing credits line into its roles, or None if `line` is not one."""
    raw = line.strip()
    inner = raw.strip("()").strip()
    segments = [s.strip() for s in re.split(r";|\s+--\s+", inner) if s.strip()]
    if not segments:
        return None
    roles: dict[str, list[str]] = {}
    for segment in segments:
        match = _ROLE_SEGMENT.match(segment.rstrip("."))
        if not match:
            return None
        role = _ROLES[match["role"].lower()]
        names = [_LOCATION.sub("", n).strip() for n in _NAME_SPLIT.split(match["names"])]
        roles.setdefault(role, []).extend(n for n in names if n)
    return Credits(raw=raw, **{role: tuple(names) for role, names in roles.items()})
