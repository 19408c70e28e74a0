"""The corpus model: outlets, their feeds, and the stories read from `<slug>.txt` + `<slug>.json`.

A story's `.txt` is the ground truth in the seed format (`schemas.seed`); its `.json` sidecar
carries what the page markup shows but the seed format does not (local-time dates, bylines,
dek, tags, which feeds list it). `load_stories` reads and validates both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from newswire.schemas.article import Article
from newswire.schemas.credits import parse_credits_line
from newswire.schemas.seed import SeedFormatError, parse, render

BASE_URL = "{{BASE_URL}}"
TRACKING_QUERY = "utm_source=rss&utm_medium=feed&utm_campaign={campaign}"
FIRST_DAY = datetime(2026, 11, 16, tzinfo=timezone.utc)
LAST_DAY = datetime(2026, 11, 25, tzinfo=timezone.utc)  # exclusive

FeedFormat = Literal["rss", "atom", "rdf"]


@dataclass(frozen=True)
class FeedSpec:
    """One feed an outlet publishes."""

    name: str  # the name sidecars use in "feeds"
    path: str  # the feed file, relative to seeds/corpus
    format: FeedFormat
    title: str
    description: str
    home: str  # the outlet web page the feed mirrors

    @property
    def url(self) -> str:
        return f"{BASE_URL}/{self.path}"


@dataclass(frozen=True)
class Outlet:
    """A news outlet: a directory of seeds/corpus, a fictional (or the real Reuters) domain."""

    key: str  # directory name under seeds/corpus
    name: str
    domain: str
    offset: timedelta  # the UTC offset its pages and sidecars use
    feeds: tuple[FeedSpec, ...]
    strict: bool = True  # canonical URL = domain/section/slug and dates within the corpus week

    def feed(self, name: str) -> FeedSpec | None:
        return next((feed for feed in self.feeds if feed.name == name), None)


def _rss(outlet: str, name: str, title: str, home: str, description: str) -> FeedSpec:
    return FeedSpec(name, f"{outlet}/rss/{name}.xml", "rss", title, description, home)


NORTHWIND = Outlet(
    key="northwind-herald",
    name="Northwind Herald",
    domain="https://www.northwindherald.example",
    offset=timedelta(hours=-5),
    feeds=(
        _rss("northwind-herald", "world", "Northwind Herald - World",
             "https://www.northwindherald.example/world",
             "World news and analysis from the Northwind Herald."),
        _rss("northwind-herald", "business", "Northwind Herald - Business",
             "https://www.northwindherald.example/business",
             "Business, markets and the economy from the Northwind Herald."),
        _rss("northwind-herald", "top", "Northwind Herald - Top Stories",
             "https://www.northwindherald.example/",
             "The day's most important stories, selected by Northwind Herald editors."),
    ),
)
MERIDIAN = Outlet(
    key="meridian-wire",
    name="Meridian Wire",
    domain="https://www.meridianwire.example",
    offset=timedelta(0),
    feeds=(
        FeedSpec("all", "meridian-wire/atom.xml", "atom", "Meridian Wire - All Stories",
                 "The latest stories from the Meridian Wire news agency.",
                 "https://www.meridianwire.example/"),
    ),
)
HARBOR = Outlet(
    key="harbor-gazette",
    name="Harbor City Gazette",
    domain="https://www.harborcitygazette.example",
    offset=timedelta(hours=-8),
    feeds=(
        FeedSpec("local", "harbor-gazette/index.rdf", "rdf", "Harbor City Gazette - Local",
                 "Local news from Harbor City and the bay shore.",
                 "https://www.harborcitygazette.example/"),
    ),
)
REUTERS = Outlet(
    key="reuters",
    name="Reuters",
    domain="https://www.reuters.com",
    offset=timedelta(0),
    feeds=(
        _rss("reuters", "world", "Reuters - World", "https://www.reuters.com/world/",
             "Reuters world news."),
    ),
    strict=False,
)
OUTLETS: tuple[Outlet, ...] = (NORTHWIND, MERIDIAN, HARBOR, REUTERS)

_SIDECAR_KEYS = {"published", "updated", "authors", "summary", "tags", "section", "language",
                 "feeds", "tracking"}
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


@dataclass(frozen=True)
class Story:
    """One article: its seed document, its sidecar facts, and where its page lives."""

    outlet: Outlet
    txt: str  # the .txt path relative to its root (seeds/corpus or seeds/corpus-updates)
    article: Article  # the parsed .txt, with sidecar facts filled in
    published: datetime  # in the outlet's offset
    updated: datetime | None
    section: str
    feeds: tuple[str, ...]
    tracking: bool

    @property
    def page(self) -> str:
        """The page path, relative to the same root as `txt`."""
        return self.txt.removesuffix(".txt") + ".html"

    @property
    def canonical(self) -> str:
        return self.article.canonical_url

    @property
    def modified(self) -> datetime:
        return self.updated or self.published

    def feed_link(self) -> str:
        """The link feeds carry: the served page, with tracking parameters if the sidecar asks."""
        link = f"{BASE_URL}/{self.page}"
        if self.tracking:
            link += "?" + TRACKING_QUERY.format(campaign=self.outlet.key)
        return link


class SourceProblems(Exception):
    """Problems found in the sources: one message per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def outlet_for(key: str) -> Outlet | None:
    return next((outlet for outlet in OUTLETS if outlet.key == key), None)


def load_stories(root: Path) -> tuple[list[Story], list[str], list[str]]:
    """Every story under `root` (one directory per outlet), plus (problems, warnings).

    A story with problems is left out; the caller decides whether problems are fatal.
    """
    stories: list[Story] = []
    problems: list[str] = []
    warnings: list[str] = []
    if not root.is_dir():
        return stories, problems, warnings
    for txt in sorted(root.rglob("*.txt")):
        rel = txt.relative_to(root).as_posix()
        outlet = outlet_for(rel.split("/", 1)[0])
        if outlet is None or "/" not in rel:
            continue  # not an outlet source (e.g. a top-level listing)
        sidecar = txt.with_suffix(".json")
        if not sidecar.exists():
            problems.append(f"{rel}: no sidecar {sidecar.name}")
            continue
        story_problems: list[str] = []
        story = _load_story(outlet, rel, txt, sidecar, story_problems, warnings)
        problems.extend(f"{rel}: {problem}" for problem in story_problems)
        if story is not None and not story_problems:
            stories.append(story)
    for json_path in sorted(root.rglob("*.json")):
        rel = json_path.relative_to(root).as_posix()
        if outlet_for(rel.split("/", 1)[0]) and not json_path.with_suffix(".txt").exists():
            problems.append(f"{rel}: sidecar without a .txt")
    return stories, problems, warnings


def _load_story(
    outlet: Outlet, rel: str, txt: Path, sidecar: Path, problems: list[str], warnings: list[str]
) -> Story | None:
    text = txt.read_text(encoding="utf-8")
    try:
        article = parse(text)
    except SeedFormatError as error:
        problems.append(f"seed format: {error}")
        return None
    try:
        meta: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        problems.append(f"sidecar is not JSON: {error}")
        return None

    if render(article) != text:
        problems.append("render(parse(text)) != text (trailing newline or stray whitespace?)")
    if article.outlet != outlet.name:
        problems.append(f"outlet line {article.outlet!r}, want {outlet.name!r}")
    unknown = set(meta) - _SIDECAR_KEYS
    if unknown:
        problems.append(f"unknown sidecar keys {sorted(unknown)}")
    for key in ("published", "authors", "summary", "section", "feeds"):
        if not meta.get(key):
            problems.append(f"sidecar lacks {key!r}")
    if problems:
        return None

    published = _moment(meta["published"], "published", outlet, problems)
    updated = _moment(meta["updated"], "updated", outlet, problems) if meta.get("updated") else None
    if published and article.published_at != published.astimezone(timezone.utc):
        problems.append(f"sidecar published {meta['published']} is not the .txt timestamp "
                        f"{article.published_at:%Y-%m-%d %H:%M} UTC")
    if published and updated and updated <= published:
        problems.append("updated must be later than published")
    if outlet.strict and published and not FIRST_DAY <= published < LAST_DAY:
        problems.append("published outside 2026-11-16 .. 2026-11-24 UTC")

    section = str(meta["section"])
    slug = Path(rel).stem
    if outlet.strict:
        want = f"{outlet.domain}/{section}/{slug}"
        if rel != f"{outlet.key}/{section}/{slug}.txt":
            problems.append(f"file should live at {outlet.key}/{section}/{slug}.txt")
        if article.canonical_url != want:
            problems.append(f"canonical URL {article.canonical_url}, want {want}")
    elif not article.canonical_url.startswith(outlet.domain + "/"):
        problems.append(f"canonical URL should be on {outlet.domain}")

    feeds = tuple(str(name) for name in meta["feeds"])
    for name in feeds:
        if outlet.feed(name) is None:
            problems.append(f"unknown feed {name!r} (have {[f.name for f in outlet.feeds]})")
    _check_text(article, problems, warnings if outlet.strict else [], rel)
    if problems or published is None:
        return None

    article = article.replace(
        updated_at=updated.astimezone(timezone.utc) if updated else None,
        authors=tuple(meta["authors"]),
        summary=meta["summary"],
        language=meta.get("language", "en"),
        tags=tuple(meta.get("tags") or ()),
    )
    return Story(
        outlet=outlet,
        txt=rel,
        article=article,
        published=published,
        updated=updated,
        section=section,
        feeds=feeds,
        tracking=bool(meta.get("tracking", False)),
    )


def _moment(value: str, key: str, outlet: Outlet, problems: list[str]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        problems.append(f"{key} {value!r} is not ISO-8601")
        return None
    if moment.utcoffset() != outlet.offset:
        problems.append(f"{key} {value!r} should carry the outlet's offset {outlet.offset}")
        return None
    return moment


def _check_text(article: Article, problems: list[str], warnings: list[str], rel: str) -> None:
    """The writing rules of the corpus spec: structure is a problem, style a warning."""
    image = article.image
    if image is not None:
        if not image.alt:
            problems.append("lead image without alt text")
        if not image.credit:
            warnings.append(f"{rel}: caption line has no photo credit split_caption recognises")
    paragraphs = article.body.split("\n\n") if article.body else []
    if not paragraphs:
        problems.append("no body paragraphs")
    for number, paragraph in enumerate(paragraphs, start=1):
        if "\n" in paragraph:
            problems.append(f"body paragraph {number} spans several lines")
        if parse_credits_line(paragraph):
            problems.append(f"body paragraph {number} reads as a credits line")
        if paragraph.lstrip().startswith(("#", "- ", "* ", "> ", "![")) or "**" in paragraph:
            problems.append(f"body paragraph {number} has markdown beyond inline links")
        for _, href in _MD_LINK.findall(paragraph):
            if not href.startswith("https://"):
                problems.append(f"body paragraph {number}: link {href!r} is not absolute https")
        if any(char in paragraph for char in "\u2018\u2019\u201c\u201d"):
            warnings.append(f"{rel}: paragraph {number} has curly quotes")
        words = len(_MD_LINK.sub(r"\1", paragraph).split())
        if not 40 <= words <= 120:
            warnings.append(f"{rel}: paragraph {number} has {words} words (want 40-120)")
    if paragraphs and not 4 <= len(paragraphs) <= 8:
        warnings.append(f"{rel}: {len(paragraphs)} body paragraphs (want 4-8)")


def body_paragraphs(article: Article) -> list[str]:
    """The body's markdown paragraphs."""
    return article.body.split("\n\n") if article.body else []


def markdown_links(paragraph: str) -> list[tuple[str, str | None]]:
    """A paragraph as (text, href) runs; href is None for plain text."""
    runs: list[tuple[str, str | None]] = []
    position = 0
    for match in _MD_LINK.finditer(paragraph):
        if match.start() > position:
            runs.append((paragraph[position:match.start()], None))
        runs.append((match[1], match[2]))
        position = match.end()
    if position < len(paragraph):
        runs.append((paragraph[position:], None))
    return runs
