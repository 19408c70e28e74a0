"""The seed format: newswire's plain-text article document, read and written byte for byte.

    # Title
    **Outlet**

    **YYYY-MM-DD HH:MM**            (UTC)

    **URL**

    ![alt text](image URL)          (optional: the lead image ...)

    Caption. PHOTO/CREDIT           (... and its caption line, which then always follows)

    Body paragraph with [links](https://...).

    Reporting by ...; Editing by ... (optional closing credits line)

Blocks are separated by one blank line and the file has no trailing newline. An image without
caption or credit writes its alt text on the caption line, so the line is never ambiguous.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from newswire.schemas.article import Article, LeadImage
from newswire.schemas.credits import join_caption, parse_credits_line, split_caption

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"
_IMAGE = re.compile(r"^!\[(?P<alt>.*?)\]\((?P<url>.*)\)$")
_BOLD = re.compile(r"^\*\*(?P<value>.+)\*\*$")


class SeedFormatError(ValueError):
    """A malformed seed document; the message names the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def render(article: Article) -> str:
    """Write `article` in the seed format."""
    if article.published_at is None:
        raise ValueError("an article needs published_at to be written in the seed format")
    stamp = article.published_at.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)
    blocks = [
        f"# {article.title}\n**{article.outlet}**",
        f"**{stamp}**",
        f"**{article.canonical_url or article.url}**",
    ]
    if article.image:
        image = article.image
        blocks.append(f"![{image.alt}]({image.url})")
        blocks.append(join_caption(image.caption, image.credit) or image.alt)
    if article.body:
        blocks.append(article.body)
    if article.credits:
        blocks.append(article.credits.raw)
    return "\n\n".join(blocks)


def parse(text: str) -> Article:
    """Read a seed document; a malformed one raises SeedFormatError naming its line."""
    lines = text.removesuffix("\n").split("\n")
    if not lines[0].startswith("# ") or not lines[0][2:].strip():
        raise SeedFormatError(1, "expected the title as '# Title'")
    title = lines[0][2:]
    outlet = _bold(lines, 1, "the outlet as '**Outlet**'")
    blocks = _blocks(lines, start=2)
    if len(blocks) < 2:
        raise SeedFormatError(len(lines), "expected the timestamp and URL lines")
    (stamp_line, stamp_text), (url_line, url_text) = blocks[0], blocks[1]
    stamp = _bold_block(stamp_line, stamp_text, "the timestamp as '**YYYY-MM-DD HH:MM**'")
    try:
        published = datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        message = f"bad timestamp {stamp!r}, want YYYY-MM-DD HH:MM"
        raise SeedFormatError(stamp_line, message) from None
    url = _bold_block(url_line, url_text, "the URL as '**https://...**'")
    rest = blocks[2:]

    image = None
    if rest and (match := _IMAGE.match(rest[0][1])):
        if len(rest) < 2:
            raise SeedFormatError(rest[0][0], "an image must be followed by its caption line")
        caption, credit = split_caption(rest[1][1])
        image = LeadImage(url=match["url"], alt=match["alt"], caption=caption, credit=credit)
        rest = rest[2:]

    credits = parse_credits_line(rest[-1][1]) if rest else None
    if credits:
        rest = rest[:-1]
    return Article(
        url=url,
        canonical_url=url,
        title=title,
        outlet=outlet,
        published_at=published,
        image=image,
        body="\n\n".join(block for _, block in rest),
        credits=credits,
    )


def _bold(lines: list[str], index: int, what: str) -> str:
    match = _BOLD.match(lines[index]) if index < len(lines) else None
    if not match:
        raise SeedFormatError(index + 1, f"expected {what}")
    return match["value"]


def _bold_block(line: int, text: str, what: str) -> str:
    match = _BOLD.match(text)
    if not match or "\n" in text:
        raise SeedFormatError(line, f"expected {what}")
    return match["value"]


def _blocks(lines: list[str], start: int) -> list[tuple[int, str]]:
    """Blank-line separated blocks after `start`, each with its 1-based first line number."""
    if start < len(lines) and lines[start] != "":
        raise SeedFormatError(start + 1, "expected a blank line after the outlet")
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines[start + 1:], start=start + 2):
        if line == "":
            if not current:
                raise SeedFormatError(number, "two blank lines in a row")
            blocks.append((first, "\n".join(current)))
            current = []
        else:
            if not current:
                first = number
            current.append(line)
    if current:
        blocks.append((first, "\n".join(current)))
    elif blocks:
        raise SeedFormatError(len(lines), "trailing blank line")
    return blocks
