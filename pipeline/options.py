"""newswire's pipeline options: typed, so every runner parses and shows them the same way."""

from __future__ import annotations

import argparse

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.pipeline.job.graph import IngestConfig
from newswire.transforms.fetching.http import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.retry import RetryPolicy
from newswire.transforms.sources.schedule import PollSettings


class NewswireOptions(PipelineOptions):
    """Where to read feeds, where to index, and the limits on every fetch; the defaults are the
    transforms' own (`HttpSettings()`, `IngestConfig()`)."""

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        defaults = HttpSettings()
        ingest = IngestConfig()
        parser.add_argument("--feeds", nargs="+", default=[],
                            help="feed list files or URLs (plain text or OPML), or feed URLs")
        parser.add_argument("--es_url", "--es-url", default=ingest.es.url,
                            help="Elasticsearch URL; credentials come from --es_api_key_secret "
                            "(on Dataflow) or NEWSWIRE_ES_* env of each worker")
        parser.add_argument("--es_outage_wait", "--es-outage-wait", type=float,
                            default=ingest.es_retry.outage_wait,
                            help="seconds an unreachable Elasticsearch is waited for, with "
                            "backoff, before the run stops")
        parser.add_argument("--es_api_key_secret", "--es-api-key-secret", default=None,
                            help="Secret Manager version holding the Elasticsearch API key, "
                            "projects/P/secrets/S/versions/V; read by each worker at start")
        parser.add_argument("--index", default=ingest.index,
                            help="the articles alias to write to")
        parser.add_argument("--dead_letter_index", "--dead-letter-index",
                            default=ingest.dead_letter_index,
                            help="the alias dead letters are indexed into")
        parser.add_argument("--dead_letter_files", "--dead-letter-files",
                            default=ingest.dead_letter_files,
                            help="also write every dead letter as JSON lines under this path "
                            "prefix (any Beam filesystem, e.g. gs://bucket/dead-letters/), "
                            "where they stay while Elasticsearch is down")
        parser.add_argument("--history_index", "--history-index",
                            default=ingest.history_index,
                            help="the alias superseded article versions are kept in")
        parser.add_argument("--fetch_user_agent", "--fetch-user-agent", default=defaults.user_agent,
                            help="the User-Agent of every feed and page request")
        parser.add_argument("--fetch_timeout", "--fetch-timeout", type=float,
                            default=defaults.total_timeout,
                            help="seconds one request may take in all, redirects and "
                            "retries included")
        parser.add_argument("--max_page_bytes", "--max-page-bytes", type=int,
                            default=defaults.max_bytes,
                            help="the most bytes read of one page or feed")
        parser.add_argument("--allow_private_addresses", "--allow-private-addresses",
                            action="store_true",
                            help="allow fetching from private, loopback and link-local addresses")
        parser.add_argument("--fetch_concurrency", "--fetch-concurrency", type=int,
                            default=defaults.concurrency,
                            help="requests in flight at once per worker")
        parser.add_argument("--per_host_concurrency", "--per-host-concurrency", type=int,
                            default=defaults.per_host_concurrency,
                            help="requests in flight at once to one host")
        parser.add_argument("--per_host_delay", "--per-host-delay", type=float,
                            default=defaults.per_host_delay,
                            help="seconds between the starts of two requests to one host")
        parser.add_argument("--ignore_robots", "--ignore-robots", action="store_true",
                            help="do not honour robots.txt (only for sources you own)")
        parser.add_argument("--poll_interval", "--poll-interval", type=float,
                            default=ingest.poll.min_interval,
                            help="streaming: seconds between polling ticks, the shortest "
                            "interval any feed is polled at")
        parser.add_argument("--max_poll_interval", "--max-poll-interval", type=float,
                            default=ingest.poll.max_interval,
                            help="streaming: the longest a feed waits")
        parser.add_argument("--rediscover_minutes", "--rediscover-minutes", type=float,
                            default=60.0,
                            help="streaming: minutes between readings of the sitemap indexes, "
                            "robots.txt files, homepages and feed lists given to --feeds")
        parser.add_argument("--dedup_ttl_hours", "--dedup-ttl-hours", type=float,
                            default=ingest.dedup_ttl / 3600,
                            help="how long a seen article key is remembered")
        parser.add_argument("--near_dup_threshold", "--near-dup-threshold", type=float,
                            default=ingest.near_dup_threshold,
                            help="estimated Jaccard similarity (5-word shingles) above which "
                            "two articles are copies of one story")
        parser.add_argument("--drop_near_duplicates", "--drop-near-duplicates",
                            action="store_true",
                            help="drop later copies of a story instead of indexing them linked")
        parser.add_argument("--insecure_skip_tls_verify", "--insecure-skip-tls-verify",
                            action="store_true", help="do not verify TLS certificates (unsafe)")
        parser.add_argument("--max_age", "--max-age", default=f"{ingest.poll.max_age / 3600:g}h",
                            help="skip sitemap entries modified longer ago (e.g. 2d, 36h, 90m)")
        parser.add_argument("--archive", default=ingest.archive,
                            help="write every fetched page as WARC into this directory "
                            "(a local path or any Beam filesystem, e.g. gs://bucket/warc)")
        parser.add_argument("--archive_file_mb", "--archive-file-mb", type=float,
                            default=ingest.archive_file_bytes / 2**20,
                            help="close an archive file and begin another at this size "
                            "(MiB, compressed)")
        parser.add_argument("--archive_file_minutes", "--archive-file-minutes", type=float,
                            default=ingest.archive_file_age / 60,
                            help="close an archive file once it is this many minutes old, "
                            "so streaming runs complete their files")
        parser.add_argument("--warc", default="",
                            help="read pages from WARC files matching this pattern instead "
                            "of polling feeds")

    def es_retry(self) -> RetryPolicy:
        return RetryPolicy(outage_wait=self.es_outage_wait)

    def es_connection(self) -> EsConnection:
        return EsConnection(self.es_url, api_key_secret=self.es_api_key_secret)

    def http_settings(self) -> HttpSettings:
        return HttpSettings(
            user_agent=self.fetch_user_agent,
            total_timeout=self.fetch_timeout,
            max_bytes=self.max_page_bytes,
            allow_private=self.allow_private_addresses,
            verify_tls=not self.insecure_skip_tls_verify,
            concurrency=self.fetch_concurrency,
            per_host_concurrency=self.per_host_concurrency,
            per_host_delay=self.per_host_delay,
            obey_robots=not self.ignore_robots,
        )

    def poll_settings(self) -> PollSettings:
        """`--poll-interval` is the shortest interval and the one a feed starts at (and keeps,
        when its entries carry no dates to observe a cadence from)."""
        return PollSettings(min_interval=self.poll_interval, max_interval=self.max_poll_interval,
                            default_interval=self.poll_interval,
                            max_age=self.max_age_seconds())

    def max_age_seconds(self) -> float:
        return duration_seconds(self.max_age)


_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def duration_seconds(value: str) -> float:
    """`2d`, `36h`, `90m`, `45s` in seconds; a bare number is days."""
    text = str(value).strip().lower()
    unit = _UNITS.get(text[-1:])
    try:
        seconds = float(text[:-1] if unit else text) * (unit or _UNITS["d"])
    except ValueError:
        raise ValueError(f"not a duration: {value!r} (use e.g. 2d, 36h, 90m)") from None
    if seconds <= 0:
        raise ValueError(f"not a positive duration: {value!r}")
    return seconds


def newswire_option_names() -> frozenset[str]:
    """The names of newswire's own options, as opposed to Beam's."""
    parser = argparse.ArgumentParser()
    NewswireOptions._add_argparse_args(parser)
    return frozenset(vars(parser.parse_args([])))
