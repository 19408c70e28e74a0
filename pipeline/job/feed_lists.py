"""The feeds a job polls, from the sources a user names: files, feed lists, feeds, sitemaps,
robots.txt files and homepages."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from newswire.transforms.fetching.http import FetchError, Response
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.sources.discover import Discoverer
from newswire.transforms.sources.feeds import parse_feed_list
from newswire.transforms.sources.settings import DEFAULT_MAX_AGE


@dataclass(frozen=True)
class FeedSources:
    """The feeds to poll, and what asking some of them already answered (see `resolve_feeds`).

    `listed` says what each source gave, for streaming runs to read the sources again.
    """

    urls: list[str]
    answered: dict[str, Response | FetchError] = field(default_factory=dict)
    listed: dict[str, list[str]] = field(default_factory=dict)


def resolve_feeds(sources: list[str], settings: HttpSettings, max_age: float = DEFAULT_MAX_AGE,
                  say: Callable[[str], None] = print) -> FeedSources:
    """URLs to poll from feed-list files and from URLs of feed lists (text or OPML), feeds,
    sitemaps, robots.txt files and homepages (see `newswire.transforms.sources.discover`).

    A URL is asked once, all of them at once within the per-host limits: what it lists is read,
    and a feed's answer (or failure) is kept for its first poll, so an unreachable URL becomes
    that feed's dead letter with the real reason, and the other sources run.
    """
    listed: dict[str, list[str]] = {}
    answered: dict[str, Response | FetchError] = {}
    addresses = [source for source in sources if source.startswith(("http://", "https://"))]
    with Discoverer(settings, max_age, say) as discoverer, ThreadPoolExecutor(
            max(min(len(addresses), settings.concurrency), 1), "resolve") as pool:
        # asked at once, within the fetcher's per-host limits: one hanging source holds no other
        resolved = dict(zip(addresses, pool.map(discoverer.resolve, addresses), strict=True))
        for source in sources:
            if source in resolved:
                listed[source], answer = resolved[source]
                if answer is not None:
                    answered[source] = answer
            else:
                listed[source] = parse_feed_list(_read_feed_list(source))
    urls = list(dict.fromkeys(url for urls in listed.values() for url in urls))
    return FeedSources(urls, {url: answer for url, answer in answered.items() if url in urls},
                       listed)


def _read_feed_list(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ValueError(f"cannot read feed list {path}: {reason}") from None
