"""The sources a job reads, from what a user names: feed-list files, read here, and URLs (feed
lists, feeds, sitemaps, robots.txt files, homepages), which the job's workers read."""

from __future__ import annotations

from dataclasses import dataclass

from newswire.transforms.sources.discover import ANY, FEED
from newswire.transforms.sources.feeds import parse_feed_list


@dataclass(frozen=True)
class FeedSources:
    """What `--feeds` names, in order, each once with what it may be: a URL (`ANY`), which the
    workers read to tell what it is, or a feed listed in a local file (`FEED`), polled as is."""

    named: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """What a job polls, for its start line: "6 feeds", "the feeds found at 2 URLs", or both."""
        feeds = sum(may_be == FEED for _, may_be in self.named)
        urls = len(self.named) - feeds
        return " and ".join(part for part, count in (
            (f"{feeds} feed{'s' * (feeds != 1)}", feeds),
            (f"the feeds found at {urls} URL{'s' * (urls != 1)}", urls)) if count)


def read_sources(sources: list[str]) -> FeedSources:
    """URLs among `sources` as they are, and the feeds of the feed-list files (plain text or
    OPML) among them, asking nothing over the network: the job reads the URLs (`PollSources`),
    where the per-host limits hold for the whole job, and no slow site holds up a launch."""
    named: dict[str, str] = {}
    for source in sources:
        if source.startswith(("http://", "https://")):
            named.setdefault(source, ANY)
        else:
            for feed in parse_feed_list(_read_feed_list(source)):
                named.setdefault(feed, FEED)
    return FeedSources(tuple(named.items()))


def _read_feed_list(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ValueError(f"cannot read feed list {path}: {reason}") from None
