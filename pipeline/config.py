"""IngestConfig: what the job reads, fetches and writes, with newswire's defaults.

Plain settings, free of Beam, so the options (`pipeline/options.py`) and the commands that only
read them load without it; the job's graph (`pipeline/job/graph.py`) is built from one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from newswire.transforms.duplicates.settings import DEFAULT_THRESHOLD, DEFAULT_TTL
from newswire.transforms.fetching.settings import MAX_FILE_AGE, MAX_FILE_BYTES, HttpSettings
from newswire.transforms.index.client import (
    ARTICLES_ALIAS,
    DEAD_LETTERS_ALIAS,
    HISTORY_ALIAS,
    EsConnection,
)
from newswire.transforms.index.settings import RetryPolicy, Sizing
from newswire.transforms.sources.settings import RETRY_FAILED, PollSettings, StateSettings


@dataclass(frozen=True)
class IngestConfig:
    """What the job reads, fetches and writes; `IngestConfig()` holds newswire's defaults, which
    the pipeline options and the CLI read. `history_index=None` keeps no history."""

    http: HttpSettings = field(default_factory=HttpSettings)
    es: EsConnection = field(default_factory=EsConnection)
    index: str = ARTICLES_ALIAS
    dead_letter_index: str = DEAD_LETTERS_ALIAS
    # a path prefix where dead letters are also written as JSON lines, out of Elasticsearch's way
    dead_letter_files: str = ""
    history_index: str | None = HISTORY_ALIAS
    # The crawl state's alias (transforms/sources/state.py): None remembers nothing between
    # runs. Entries fetched once are fetched again `recheck_age` seconds later (None: never);
    # entries whose page failed, `retry_failed` seconds later (doubled with each failure in a
    # row); records no source has listed for `state_retention` seconds are pruned (0: never).
    state_index: str | None = None
    recheck_age: float | None = None
    retry_failed: float = RETRY_FAILED
    state_retention: float = 30 * 86400.0
    es_retry: RetryPolicy = field(default_factory=RetryPolicy)
    # How each alias's pieces are made, and when they roll over (see transforms/index/pieces).
    sizing: Sizing = field(default_factory=Sizing)
    # Whether the sinks roll the aliases over (where the cluster has no lifecycle management).
    roll_over: bool = True
    dedup_ttl: int = DEFAULT_TTL
    near_dup_threshold: float = DEFAULT_THRESHOLD
    drop_near_duplicates: bool = False
    poll: PollSettings = field(default_factory=PollSettings)
    # Streaming polls run in the background (a timer takes their answers); batch waits for them.
    streaming: bool = False
    archive: str = ""  # a directory to keep every fetched page in, as WARC
    archive_file_bytes: int = MAX_FILE_BYTES  # archive files rotate at this size ...
    archive_file_age: float = MAX_FILE_AGE  # ... and at this age in seconds
    warc: bool = False  # the input is WARC file patterns to read pages from, not feed URLs
    progress_dir: str | None = None  # where Tally steps count, for a local run's progress line
    # Processes extraction and MinHash sketching fan out to, beside a runner that runs the job
    # in one process; 0: in the worker itself.
    pool_processes: int = 0

    @property
    def rollover(self) -> Sizing:
        """The sinks' sizing: they find each update's piece, and roll over if it falls to them."""
        return self.sizing if self.roll_over else replace(self.sizing, check_every=None)

    @property
    def state(self) -> StateSettings | None:
        """The crawl state's settings, if the job keeps one (a WARC replay polls nothing)."""
        if self.state_index is None or self.warc:
            return None
        return StateSettings(self.es, self.state_index, self.recheck_age, self.es_retry,
                             self.state_retention or None, self.retry_failed)
