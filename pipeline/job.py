"""The ingestion job: resolve the feed list, prepare the indices, run IngestFeeds on a runner."""

from __future__ import annotations

from collections.abc import Callable

import apache_beam as beam
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    StandardOptions,
    WorkerOptions,
)
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.runner import PipelineRunner

from pipeline.options import NewswireOptions
from pipeline.summary import Summary, summarize
from schemas.index import DEAD_LETTER_MAPPING, article_mapping_for, ensure_index
from transforms.es_client import EsConnection
from transforms.feeds import parse_feed_list
from transforms.http import FetchError, HttpClient, HttpSettings
from transforms.ingest import IngestConfig, IngestFeeds

_LOCAL_RUNNERS = {None, "direct", "directrunner"}


def resolve_feeds(sources: list[str], settings: HttpSettings) -> list[str]:
    """Feed URLs from feed-list files, feed-list URLs (text or OPML) and plain feed URLs."""
    feeds: list[str] = []
    client = HttpClient(settings)
    client.open()
    try:
        for source in sources:
            if source.startswith(("http://", "https://")):
                feeds.extend(_feeds_at_url(client, source))
            else:
                with open(source, encoding="utf-8") as handle:
                    feeds.extend(parse_feed_list(handle.read()))
    finally:
        client.close()
    return list(dict.fromkeys(feeds))


def _feeds_at_url(client: HttpClient, url: str) -> list[str]:
    """A URL is a feed list if it is OPML or plain text; anything else is a feed itself."""
    try:
        response = client.get(url)
    except FetchError as error:
        raise ValueError(f"cannot read feed list {url}: {error.reason}") from None
    text = response.body.decode("utf-8", errors="replace")
    if "<opml" in text[:1000].lower() or response.content_type == "text/plain":
        return parse_feed_list(text)
    return [url]


def choose_runner(options: PipelineOptions) -> PipelineRunner | str:
    """The runner, chosen explicitly so nothing is downloaded at start-up.

    Beam's DirectRunner would first try Prism, fetching it from the internet; for local batch
    runs newswire uses the FnApiRunner behind it directly, one worker process per core.
    """
    name = options.view_as(StandardOptions).runner
    if name is None or name.lower() in _LOCAL_RUNNERS:
        direct = options.view_as(DirectOptions)
        direct.direct_running_mode = direct.direct_running_mode or "multi_processing"
        if direct.direct_running_mode == "in_memory":
            direct.direct_running_mode = "multi_processing"
        direct.direct_num_workers = direct.direct_num_workers or 2
        workers = options.view_as(WorkerOptions)
        workers.default_sdk_harness_log_level = workers.default_sdk_harness_log_level or "WARNING"
        return FnApiRunner()
    return name


def run(options: PipelineOptions, say: Callable[[str], None] = print) -> Summary:
    """Ingest every feed in `--feeds` into Elasticsearch and return the run's summary."""
    nw = options.view_as(NewswireOptions)
    settings = nw.http_settings()
    feed_urls = resolve_feeds(nw.feeds, settings)
    if not feed_urls:
        raise ValueError("no feeds to poll: give --feeds FILE_OR_URL ...")
    connection = EsConnection(nw.es_url)
    client = connection.client()
    try:
        ensure_index(client, nw.index, article_mapping_for(client, say))
        ensure_index(client, nw.dead_letter_index, DEAD_LETTER_MAPPING)
    finally:
        client.close()
    say(f"polling {len(feed_urls)} feeds into {nw.es_url}/{nw.index}")
    pipeline = beam.Pipeline(runner=choose_runner(options), options=options)
    _ = (
        pipeline
        | "FeedURLs" >> beam.Create(feed_urls)
        | "Ingest" >> IngestFeeds(IngestConfig(
            http=settings, es=connection, index=nw.index,
            dead_letter_index=nw.dead_letter_index))
    )
    result = pipeline.run()
    result.wait_until_finish()
    return summarize(result)
