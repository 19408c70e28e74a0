"""Build the offline news corpus from its hand-written sources.

    python -m newswire.seeds.tools.build_corpus   # (re)write every generated file
    python -m newswire.seeds.tools.build_corpus --check # exit 1, listing stale files, if stale

Sources: `seeds/corpus/<outlet>/<section>/<slug>.txt` (the expected record, seed format) and
`<slug>.json` (sidecar facts), plus revised versions under `seeds/corpus-updates/`. Generated:
an article page `<slug>.html` beside each source, every outlet's feeds, the PDF a feed links to,
`feeds.opml`, `feeds.txt` and `manifest.json` (what the pipeline must make of every feed entry).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newswire.seeds.tools.corpus import (
    BASE_URL,
    NORTHWIND,
    OUTLETS,
    FeedSpec,
    Outlet,
    Story,
    load_stories,
)
from newswire.seeds.tools.feeds import FeedEntry, render_feed, story_entry
from newswire.seeds.tools.feeds import attr as xml_attr
from newswire.seeds.tools.pages import render_page

SEEDS = Path(__file__).resolve().parents[1]
CORPUS = SEEDS / "corpus"
UPDATES = SEEDS / "corpus-updates"
RELATED_STORIES = 4
GENERATED_SUFFIXES = {".html", ".xml", ".rdf"}
NORTHWIND_TIME = timezone(NORTHWIND.offset)


@dataclass(frozen=True)
class DeadLink:
    """A feed entry whose link the pipeline cannot turn into an article."""

    outlet: Outlet
    feed: str
    path: str  # relative to seeds/corpus
    title: str
    summary: str
    published: datetime
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    reason: str  # the dead-letter reason the manifest expects

    def entry(self) -> FeedEntry:
        return FeedEntry(
            link=f"{BASE_URL}/{self.path}",
            guid=f"{self.outlet.domain}/{self.path.split('/', 1)[1].removesuffix('.html')}",
            title=self.title,
            summary=self.summary,
            published=self.published,
            updated=None,
            authors=self.authors,
            tags=self.tags,
            dead_reason=self.reason,
        )


ANNUAL_REPORT = "northwind-herald/docs/annual-report.pdf"
DEAD_LINKS: tuple[DeadLink, ...] = (
    DeadLink(
        outlet=NORTHWIND,
        feed="world",
        path="northwind-herald/world/embassy-reopens-after-security-review.html",
        title="Embassy in Lakeport reopens after two-week security review",
        summary="The consular section will resume visa appointments on Monday, officials said.",
        published=datetime(2026, 11, 22, 18, 30, tzinfo=NORTHWIND_TIME),
        authors=("Hannah Okafor",),
        tags=("diplomacy",),
        reason="http 404",
    ),
    DeadLink(
        outlet=NORTHWIND,
        feed="business",
        path=ANNUAL_REPORT,
        title="Northwind Herald Media Group publishes its 2026 annual report",
        summary="Digital subscriptions passed print for the first time, the report shows.",
        published=datetime(2026, 11, 21, 10, 0, tzinfo=NORTHWIND_TIME),
        authors=("Northwind Herald Media Group",),
        tags=("company news",),
        reason="unsupported content type application/pdf",
    ),
)


# --- the corpus ------------------------------------------------------------------------------

@dataclass
class Corpus:
    """Everything the sources say: stories, revised stories, and problems found on the way."""

    stories: list[Story]
    updates: list[Story]
    problems: list[str]
    warnings: list[str]


def load() -> Corpus:
    stories, problems, warnings = load_stories(CORPUS)
    updates, update_problems, update_warnings = load_stories(UPDATES)
    problems += [f"corpus-updates/{problem}" for problem in update_problems]
    warnings += [f"corpus-updates/{warning}" for warning in update_warnings]
    originals = {story.txt: story for story in stories}
    for update in updates:
        original = originals.get(update.txt)
        if original is None:
            problems.append(f"corpus-updates/{update.txt}: no version 1 at corpus/{update.txt}")
        elif update.canonical != original.canonical:
            problems.append(f"corpus-updates/{update.txt}: canonical URL differs from version 1")
        elif update.updated is None or update.updated <= original.modified:
            problems.append(f"corpus-updates/{update.txt}: 'updated' must be later than"
                            " version 1's")
    links: dict[str, Story] = {}
    for story in stories:
        other = links.setdefault(story.canonical, story)
        if other is not story:
            problems.append(f"{story.txt}: same canonical URL as {other.txt}")
    return Corpus(stories, updates, problems, warnings)


def related_stories(story: Story, stories: Sequence[Story]) -> list[Story]:
    """A few other stories of the outlet for the "Read more" box: same section first."""
    candidates = [other for other in stories
                  if other.outlet is story.outlet and other.canonical != story.canonical]
    candidates.sort(key=lambda other: (other.section != story.section,
                                       -other.published.timestamp(), other.txt))
    return candidates[:RELATED_STORIES]


def feed_entries(outlet: Outlet, feed: FeedSpec, stories: Sequence[Story]) -> list[FeedEntry]:
    """A feed's entries, newest first: its stories and any dead links it carries."""
    entries = [story_entry(story) for story in stories
               if story.outlet is outlet and feed.name in story.feeds]
    entries += [dead.entry() for dead in DEAD_LINKS
                if dead.outlet is outlet and dead.feed == feed.name]
    entries.sort(key=lambda entry: (-entry.published.timestamp(), entry.link))
    return entries


def all_feeds() -> list[tuple[Outlet, FeedSpec]]:
    """Every feed, in feeds.opml order."""
    return [(outlet, feed) for outlet in OUTLETS for feed in outlet.feeds]


def manifest(feeds: Sequence[tuple[FeedSpec, Sequence[FeedEntry]]]) -> dict[str, Any]:
    """What the pipeline must make of each entry: first sighting of a link indexed, later ones
    duplicates, links that are not articles dead letters."""
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for feed, entries in feeds:
        for entry in entries:
            row = {"feed": feed.path, "link": entry.link}
            if entry.dead_reason:
                row.update(outcome="dead_letter", reason=entry.dead_reason)
            else:
                assert entry.story is not None
                row["outcome"] = "duplicate" if entry.link in seen else "indexed"
                row["expected"] = entry.story.txt
                seen.add(entry.link)
            rows.append(row)

    def count(outcome: str) -> int:
        return sum(row["outcome"] == outcome for row in rows)

    return {
        "totals": {
            "feeds": len(feeds),
            "entries": len(rows),
            "indexed": count("indexed"),
            "duplicates": count("duplicate"),
            "dead_letters": count("dead_letter"),
        },
        "entries": rows,
    }


def opml(feeds: Sequence[tuple[Outlet, FeedSpec]]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        "    <title>newswire offline corpus</title>",
        "    <ownerName>newswire</ownerName>",
        "  </head>",
        "  <body>",
    ]
    for outlet in OUTLETS:
        name = xml_attr(outlet.name)
        out.append(f'    <outline text="{name}" title="{name}">')
        for feed_outlet, feed in feeds:
            if feed_outlet is outlet:
                title = xml_attr(feed.title)
                out.append(f'      <outline type="rss" text="{title}" title="{title}"'
                           f' xmlUrl="{xml_attr(feed.url)}" htmlUrl="{xml_attr(feed.home)}"/>')
        out.append("    </outline>")
    out += ["  </body>", "</opml>"]
    return "\n".join(out) + "\n"


def feeds_txt(feeds: Sequence[tuple[Outlet, FeedSpec]]) -> str:
    out = ["# newswire offline corpus: one feed URL per line, in feeds.opml order.",
           "# {{BASE_URL}} is replaced with the seed server's base URL when served."]
    for outlet in OUTLETS:
        out.append(f"# {outlet.name}")
        out += [feed.url for feed_outlet, feed in feeds if feed_outlet is outlet]
    return "\n".join(out) + "\n"


def minimal_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF 1.4 showing `lines` in Helvetica, with an exact cross-reference table."""
    def literal(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text_ops = ["BT", "/F1 20 Tf", "72 720 Td", "24 TL"]
    text_ops += [f"({literal(line)}) '" for line in lines]
    text_ops.append("ET")
    stream = "\n".join(text_ops)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        " /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream.encode('ascii'))} >>\nstream\n{stream}\nendstream",
        "<< /Title (Northwind Herald Media Group Annual Report 2026)"
        " /Producer (newswire seeds) >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    pdf += b"".join(f"{offset:010d} 00000 n \n".encode("ascii") for offset in offsets)
    pdf += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode("ascii")
    return bytes(pdf)


ANNUAL_REPORT_LINES = (
    "Northwind Herald Media Group",
    "Annual Report 2026",
    "",
    "Year ended 30 September 2026.",
    "Digital subscriptions overtook print for the first time.",
)


def generate(corpus: Corpus) -> dict[Path, bytes]:
    """Every generated file and its content."""
    outputs: dict[Path, bytes] = {}
    for story in corpus.stories:
        page = render_page(story, related_stories(story, corpus.stories))
        outputs[CORPUS / story.page] = page.encode("utf-8")
    for update in corpus.updates:
        page = render_page(update, related_stories(update, corpus.stories))
        outputs[UPDATES / update.page] = page.encode("utf-8")

    feeds = all_feeds()
    rendered: list[tuple[FeedSpec, list[FeedEntry]]] = []
    for outlet, feed in feeds:
        entries = feed_entries(outlet, feed, corpus.stories)
        rendered.append((feed, entries))
        if entries:
            outputs[CORPUS / feed.path] = render_feed(outlet, feed, entries).encode("utf-8")
        else:
            corpus.problems.append(f"{feed.path}: no entries (no sources list feed"
                                   f" {feed.name!r})")
    outputs[CORPUS / ANNUAL_REPORT] = minimal_pdf(ANNUAL_REPORT_LINES)
    outputs[CORPUS / "feeds.opml"] = opml(feeds).encode("utf-8")
    outputs[CORPUS / "feeds.txt"] = feeds_txt(feeds).encode("utf-8")
    document = json.dumps(manifest(rendered), indent=2, ensure_ascii=False) + "\n"
    outputs[CORPUS / "manifest.json"] = document.encode("utf-8")

    for dead in DEAD_LINKS:
        exists = (CORPUS / dead.path) in outputs or (CORPUS / dead.path).exists()
        if dead.reason == "http 404" and exists:
            corpus.problems.append(f"{dead.path}: meant to 404 but exists")
        if dead.reason != "http 404" and not exists:
            corpus.problems.append(f"{dead.path}: a feed links to it but it is not generated")
    return outputs


def orphans(outputs: dict[Path, bytes]) -> list[Path]:
    """Generated-looking files (pages, feeds) no source accounts for any more."""
    found = []
    for root in (CORPUS, UPDATES):
        for outlet in OUTLETS:
            directory = root / outlet.key
            if not directory.is_dir():
                continue
            for path in sorted(directory.rglob("*")):
                if (path.suffix in GENERATED_SUFFIXES and path not in outputs
                        and not path.with_suffix(".txt").exists()):
                    found.append(path)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newswire.seeds.tools.build_corpus",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing the files that are out of date")
    parser.add_argument("--warnings", action="store_true",
                        help="also list style warnings about the sources")
    args = parser.parse_args(argv)

    corpus = load()
    outputs = generate(corpus)
    stale = [path for path, data in outputs.items()
             if not path.exists() or path.read_bytes() != data]
    leftover = orphans(outputs)
    for problem in corpus.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if args.warnings:
        for warning in corpus.warnings:
            print(f"warning: {warning}", file=sys.stderr)

    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(SEEDS).as_posix()}")
        for path in leftover:
            print(f"orphan: {path.relative_to(SEEDS).as_posix()}")
        if stale or leftover:
            print("run: python -m newswire.seeds.tools.build_corpus", file=sys.stderr)
        return 1 if stale or leftover or corpus.problems else 0

    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(outputs[path])
    for path in leftover:
        path.unlink()
    print(f"{len(corpus.stories)} stories, {len(corpus.updates)} revised;"
          f" wrote {len(stale)} of {len(outputs)} files, removed {len(leftover)};"
          f" {len(corpus.problems)} problems, {len(corpus.warnings)} warnings"
          + ("" if args.warnings or not corpus.warnings else " (--warnings lists them)"))
    return 1 if corpus.problems else 0


if __name__ == "__main__":
    sys.exit(main())
