"""The end-of-run summary, read from Beam metrics, with the check that the counts add up."""

from __future__ import annotations

from dataclasses import dataclass

from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.runner import PipelineResult

STAGES = ("poll", "warc", "fetch", "extract", "validate", "index")


@dataclass(frozen=True)
class Summary:
    feeds_polled: int
    feeds_not_modified: int
    feeds_failed: int
    entries_seen: int
    pages_fetched: int
    articles_extracted: int
    duplicates_dropped: int
    near_duplicates: int
    near_duplicates_dropped: int
    created: int
    updated: int
    unchanged: int
    revisions: int
    dead_letters: int
    dead_letters_by_stage: dict[str, int]
    sitemap_entries_too_old: int = 0
    waiting_retry: int = 0  # entries whose page failed before, left until their retry is due
    retried: int = 0  # entries whose page failed before, tried again as their wait was over
    sources_read: int = 0  # feed lists, robots.txt files, sitemap indexes, homepages read
    sources_listed: int = 0  # the feeds and sitemaps they listed
    sitemaps_too_old: int = 0  # sitemaps of an index older than --max-age, left out
    warc_records_skipped: int = 0
    warc_pages_read: int = 0
    pages_archived: int = 0
    pages_not_modified: int = 0  # re-checked pages that answered 304: their articles are current
    in_flight_at_stop: int = 0  # entries not yet ended when a streaming job was stopped

    @property
    def indexed(self) -> int:
        """Articles now current in the index: new, replaced by a newer version, or unchanged."""
        return self.created + self.updated + self.unchanged

    @property
    def in_flight(self) -> int:
        """Entries seen that have not yet ended indexed, as a duplicate, as a dead letter or
        as a page not modified since it was last fetched."""
        return self.entries_seen - (self.indexed + self.duplicates_dropped
                                    + self.near_duplicates_dropped + self.dead_letters
                                    + self.pages_not_modified)

    @property
    def exit_status(self) -> int:
        """0 when the run did its work; 2 when the counts do not add up; 3 when every feed
        failed, so nothing could be read at all."""
        if self.feeds_failed and not self.feeds_polled:
            return 3
        return 0 if self.balanced else 2

    @property
    def balanced(self) -> bool:
        """Every entry ended indexed, as a duplicate, as a dead letter or not modified (or was
        still in flight when a streaming job was stopped, and is counted so)."""
        return self.in_flight == self.in_flight_at_stop

    def render(self) -> str:
        by_stage = sorted(self.dead_letters_by_stage.items())
        stages = ", ".join(f"{stage} {n}" for stage, n in by_stage)
        lines = [
            f"feeds polled        {self.feeds_polled}"
            + (f"  ({self.feeds_not_modified} not modified)" if self.feeds_not_modified else "")
            + (f"  ({self.feeds_failed} failed, see dead letters)" if self.feeds_failed else ""),
            *([f"sources read        {self.sources_read}  (listing {self.sources_listed} feeds "
               "and sitemaps" + (f"; {self.sitemaps_too_old} sitemaps of an index older than "
                                  "--max-age left out" if self.sitemaps_too_old else "") + ")"]
              if self.sources_read else []),
            f"entries seen        {self.entries_seen}" + _aside(
                f"{self.sitemap_entries_too_old} sitemap entries older than --max-age skipped"
                if self.sitemap_entries_too_old else "",
                f"{self.retried} tried again after their page failed" if self.retried else "",
                f"{self.waiting_retry} whose page failed before wait for --retry-failed"
                if self.waiting_retry else ""),
            (f"pages read (WARC)   {self.warc_pages_read}  ({self.warc_records_skipped} "
             "other records skipped)" if self.warc_pages_read or self.warc_records_skipped else
             f"pages fetched       {self.pages_fetched}" + _aside(
                 f"{self.pages_not_modified} not modified" if self.pages_not_modified else "",
                 f"{self.pages_archived} archived as WARC" if self.pages_archived else "")),
            f"articles extracted  {self.articles_extracted}",
            f"duplicates dropped  {self.duplicates_dropped}",
            f"near-duplicates     {self.near_duplicates}"
            + (f"  ({self.near_duplicates_dropped} dropped)" if self.near_duplicates_dropped
               else "  (indexed, linked to the first copy)" if self.near_duplicates else ""),
            f"indexed             {self.indexed}  (new {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged})"
            + (f"; {self.revisions} earlier versions kept" if self.revisions else ""),
            f"dead-lettered       {self.dead_letters}" + (f"  ({stages})" if stages else ""),
            "entries = indexed + duplicates + dead letters"
            + (" + dropped near-duplicates" if self.near_duplicates_dropped else "")
            + (" + pages not modified" if self.pages_not_modified else "")
            + (f" + {self.in_flight_at_stop} in flight at stop" if self.in_flight_at_stop
               else "") + ": "
            + ("yes" if self.balanced else "NO - some entries are unaccounted for"),
        ]
        return "\n".join(lines)


def _aside(*notes: str) -> str:
    """The notes given, in parentheses after a line's count; nothing when there are none."""
    given = [note for note in notes if note]
    return f"  ({'; '.join(given)})" if given else ""


def summarize(result: PipelineResult) -> Summary:
    counters = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace("newswire"))["counters"]:
        name = counter.key.metric.name
        value = counter.committed if counter.committed is not None else counter.attempted
        counters[name] = counters.get(name, 0) + (value or 0)

    def get(name: str) -> int:
        return int(counters.get(name, 0))

    return Summary(
        feeds_polled=get("feeds_polled"),
        feeds_not_modified=get("feeds_not_modified"),
        feeds_failed=get("feeds_failed"),
        entries_seen=get("entries_seen"),
        pages_fetched=get("pages_fetched"),
        articles_extracted=get("articles_extracted"),
        duplicates_dropped=get("duplicates_dropped"),
        near_duplicates=get("near_duplicates"),
        near_duplicates_dropped=get("near_duplicates_dropped"),
        created=get("articles_created"),
        updated=get("articles_updated"),
        unchanged=get("articles_unchanged"),
        revisions=get("articles_revisions"),
        dead_letters=get("dead_letters_entry"),
        sitemap_entries_too_old=get("sitemap_entries_too_old"),
        waiting_retry=get("entries_waiting_retry"),
        retried=get("entries_retried"),
        sources_read=get("sources_read"),
        sources_listed=get("sources_listed"),
        sitemaps_too_old=get("sitemaps_too_old"),
        warc_records_skipped=get("warc_records_skipped"),
        warc_pages_read=get("warc_pages_read"),
        pages_archived=get("pages_archived"),
        pages_not_modified=get("pages_not_modified"),
        dead_letters_by_stage={  # entries only: a failed feed is counted in feeds_failed
            stage: get(f"dead_letters_entry_{stage}") for stage in STAGES
            if get(f"dead_letters_entry_{stage}")
        },
    )
