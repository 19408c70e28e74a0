"""Every limit on fetching and on keeping what is fetched: plain settings, free of Beam and
of the HTTP client, so the options load without either.

    HttpSettings     every limit that applies to an outgoing request
    MAX_FILE_BYTES   when an archive (WARC) file is closed and another begun, by size ...
    MAX_FILE_AGE     ... and by age
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpSettings:
    """Every limit that applies to an outgoing request, in one place."""

    user_agent: str = "newswire/0.1"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0  # the whole get: every hop, retry and backoff
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 0.5
    allow_private: bool = False
    verify_tls: bool = True
    concurrency: int = 16
    per_host_concurrency: int = 4
    per_host_delay: float = 0.0
    obey_robots: bool = True
    max_crawl_delay: float = 30.0  # the longest Crawl-delay or Retry-After honoured between pages


MAX_FILE_BYTES = 1024**3
"""Archive files rotate after this many (compressed) bytes, as crawlers' WARCs do."""

MAX_FILE_AGE = 15 * 60.0
"""... and once they are this many seconds old, so a streaming run's files get complete."""
