"""newswire's options, each declared once, in `OPTIONS`.

An `Option` names its flag (`--name` and `--dashed-name`, also the Dataflow template's
parameter), says what it means, and where its value goes: keywords of a settings class
(`into=(HttpSettings, "total_timeout")`). Its default is that keyword's default, read from the
class: the stage that uses a setting defines its default, in its own unit, in a `settings.py`
free of Beam (so this module, and the commands that take its flags, load without Beam), and
nothing else writes it down. A flag in another unit than its setting's (hours of seconds, MiB of
bytes, `2d` of seconds) has no default of its own, None for "not given", so that no default is
converted into the flag's unit and back; a value given is converted once, into the setting's
unit, when the settings are built (`NewswireOptions.settings`). A switch not given leaves its
setting alone too. Values stay in the flag's unit until then, not converted by argparse,
because Beam hands the options to workers as `--name=value` flags that are parsed again
(`PipelineOptions.from_dictionary`, Beam 2.77): a conversion at parse time would apply twice.

From `OPTIONS` come the flags of `newswire run` (`NewswireOptions` in
`pipeline/job/pipeline_options.py`, typed PipelineOptions, so every runner parses them alike),
the same flags on the other commands (`add_flags`), the settings objects
(`NewswireOptions.ingest_config`), and the Dataflow template's parameters,
`deploy/dataflow/metadata.json`: `python -m newswire.pipeline.options --metadata`.
"""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from newswire.pipeline.config import IngestConfig
from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.settings import RetryPolicy, Sizing
from newswire.transforms.sources.settings import PollSettings

T = TypeVar("T")

NUMBER = r"^[0-9]+(\.[0-9]+)?$"
ALIAS = r"^[a-z0-9][a-z0-9._-]*$"
PATH = r"^\S+$"
# The template's check of a value, by the flag's type.
PATTERNS = {float: NUMBER, int: r"^[1-9][0-9]*$", bool: r"^(true|false)$"}


class Unit:
    """A flag in its setting's unit: the value goes as given."""

    kind: type | None = None  # the flag's type; None: the type of the setting's default
    pattern: str | None = None  # the template's check, when not the kind's

    def into(self, value: Any) -> Any:
        """The flag's value in the setting's unit."""
        return value

    def shown(self, default: Any) -> str:
        """The setting's default as the flag would be given it, for help texts."""
        return str(default)


SAME = Unit()


@dataclass(frozen=True)
class Scaled(Unit):
    """A number in a larger unit than its setting's, `size` of the setting's units each (3600
    seconds to an hour); a `whole` setting counts whole units (bytes)."""

    size: int
    whole: bool = False
    kind = float

    def into(self, value: float) -> float:
        scaled = value * self.size
        return int(scaled) if self.whole else scaled

    def shown(self, default: float) -> str:
        return str(default / self.size)


@dataclass(frozen=True)
class Duration(Unit):
    """`2d`, `36h`, `90m` or `45s` of a setting in seconds; a bare number is days; 0 only
    where `zero` allows it."""

    zero: bool = False
    kind = str
    pattern = r"^[0-9]+(\.[0-9]+)?[dhms]?$"

    def into(self, value: str) -> float:
        return duration_seconds(value, zero=self.zero)

    def shown(self, default: float) -> str:
        return f"{default / 3600:g}h"


class Count(Unit):
    """A whole number whose setting's default is decided later (None)."""

    kind = int


class Negated(Unit):
    """A switch that turns its setting off (`--ignore-robots`: `obey_robots=False`)."""

    kind = bool

    def into(self, value: bool) -> bool:
        return not value


HOURS, MINUTES, MIB = Scaled(3600, whole=True), Scaled(60), Scaled(2**20, whole=True)
COUNT, DURATION, NEGATED = Count(), Duration(), Negated()


@dataclass(frozen=True)
class Option:
    """One option: its name, help, where its value goes and in which unit, and how the Dataflow
    template shows it (`label`, a check `pattern` where the type's does not fit, `required`,
    and `template_help` where the template takes it otherwise than the flag)."""

    name: str
    help: str
    label: str
    into: tuple[Any, ...] = ()  # a settings class and the keywords the value goes to
    unit: Unit = SAME
    default: Any = None  # only for an option that goes into no setting
    pattern: str | None = None
    required: bool = False
    template_help: str = ""

    @property
    def setting_default(self) -> Any:
        """What the option means when not given: its setting's default, or its own."""
        if not self.into:
            return self.default
        target, keyword = self.into[:2]
        return inspect.signature(target).parameters[keyword].default

    @property
    def kind(self) -> type:
        """The flag's type: its unit's, else that of its setting's default (str for None)."""
        default = self.setting_default
        return self.unit.kind or (str if default is None else type(default))

    @property
    def flag_default(self) -> Any:
        """The setting's default when the flag is in its unit; None when not."""
        if self.kind is bool:
            return False
        return self.setting_default if self.unit is SAME else None

    @property
    def flag(self) -> str:
        """The flag as the commands spell it, `--dashed-name`."""
        return f"--{self.name.replace('_', '-')}"

    def value(self) -> dict[str, Any]:
        """How argparse takes the flag's value: its type or action, and its default."""
        if self.kind is bool:
            return {"action": "store_true"}
        if self.kind is list:
            return {"nargs": "+", "default": list(self.flag_default)}
        return {"type": self.kind, "default": self.flag_default}

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """`newswire run`'s flag, in both spellings (`--name`, as Beam passes it to workers,
        and `--dashed-name`), with the option's help."""
        flags = dict.fromkeys([f"--{self.name}", self.flag])
        parser.add_argument(*flags, dest=self.name, help=self.help, **self.value())

    def parameter(self) -> dict[str, Any]:
        """The Dataflow template's parameter."""
        text = self.template_help or self.help[0].upper() + self.help[1:]
        default = self.setting_default
        if self.kind is bool:
            text += " (true or false; default false)"
        elif not self.required and default not in ("", None):
            text += f" (default {self.unit.shown(default)})"
        parameter: dict[str, Any] = {"name": self.name, "label": self.label,
                                     "helpText": text + ".", "isOptional": not self.required}
        pattern = self.pattern or self.unit.pattern or PATTERNS.get(self.kind)
        if pattern:
            parameter["regexes"] = [pattern]
        return parameter


OPTIONS = (
    Option("feeds", "feed list files or URLs (plain text or OPML), or feed URLs",
           "Feed lists or feeds", default=[], required=True,
           pattern=r"^[^,\s]+(,[^,\s]+)*$",
           template_help="Comma-separated feed list URLs (plain text or OPML) or feed URLs, "
           "e.g. https://example.com/feeds.opml"),
    Option("es_url", "Elasticsearch URL; credentials come from --es_api_key_secret (on "
           "Dataflow) or NEWSWIRE_ES_* env of each worker",
           "Elasticsearch URL", into=(EsConnection, "url"), required=True,
           pattern=r"^https?://[^\s/]+(/\S*)?$"),
    Option("es_api_key_secret", "Secret Manager version holding the Elasticsearch API key, "
           "projects/P/secrets/S/versions/V; read by each worker at start",
           "Elasticsearch API key secret", into=(EsConnection, "api_key_secret"),
           pattern=r"^projects/[^/\s]+/secrets/[^/\s]+/versions/[^/\s]+$"),
    Option("es_outage_wait", "seconds an unreachable Elasticsearch is waited for, with "
           "backoff, before the run stops", "Elasticsearch outage wait (s)",
           into=(RetryPolicy, "outage_wait")),
    Option("index", "the articles alias to write to", "Articles alias",
           into=(IngestConfig, "index"), pattern=ALIAS),
    Option("dead_letter_index", "the alias dead letters are indexed into", "Dead-letter alias",
           into=(IngestConfig, "dead_letter_index"), pattern=ALIAS),
    Option("dead_letter_files", "also write every dead letter as JSON lines under this path "
           "prefix (any Beam filesystem, e.g. gs://bucket/dead-letters/), where they stay while "
           "Elasticsearch is down", "Dead-letter files", into=(IngestConfig, "dead_letter_files"),
           pattern=PATH),
    Option("history_index", "the alias superseded article versions are kept in",
           "History alias", into=(IngestConfig, "history_index"), pattern=ALIAS),
    Option("es_shards", "primary shards of each new piece of an index", "Shards per piece",
           into=(Sizing, "shards")),
    Option("es_replicas", "replicas of each new piece (default: 1 where the cluster has a "
           "second node, else 0)", "Replicas per piece", into=(Sizing, "replicas"), unit=COUNT,
           pattern=r"^[0-9]+$"),
    Option("es_rollover_size", "start a new piece once a primary shard is this big",
           "Rollover size", into=(Sizing, "max_primary_shard_size"),
           pattern=r"^[0-9]+(\.[0-9]+)?(b|kb|mb|gb|tb)$"),
    Option("es_rollover_docs", "start a new piece once the write piece has this many documents",
           "Rollover documents", into=(Sizing, "max_docs")),
    Option("state_index", "the alias of the crawl state kept between runs (default: the "
           "articles alias with -state appended)", "Crawl-state alias", default="",
           pattern=ALIAS),
    Option("recheck_age", "fetch an entry fetched before again after this long (e.g. 7d, 12h; "
           "0: every run; default: only when its feed says it changed)", "Re-check age",
           into=(IngestConfig, "recheck_age"), unit=Duration(zero=True)),
    Option("retry_failed", "fetch an entry whose page failed again after this long, doubled "
           "with each failure in a row up to a day (a month for a page gone, not HTML or "
           "disallowed by robots.txt), by a later run or a streaming job's later poll (e.g. "
           "1h, 30m; 0: every run)",
           "Retry failed pages after", into=(IngestConfig, "retry_failed"),
           unit=Duration(zero=True)),
    Option("state_retention", "forget crawl-state records no source has listed for this long "
           "(e.g. 30d, 12h; 0: keep them for ever)", "Crawl-state retention",
           into=(IngestConfig, "state_retention"), unit=Duration(zero=True)),
    Option("fetch_user_agent", "the User-Agent of every feed and page request", "User-Agent",
           into=(HttpSettings, "user_agent")),
    Option("fetch_timeout", "seconds one request may take in all, redirects and retries "
           "included", "Download timeout (s)", into=(HttpSettings, "total_timeout")),
    Option("max_page_bytes", "the most bytes read of one page or feed",
           "Largest download (bytes)", into=(HttpSettings, "max_bytes")),
    Option("allow_private_addresses", "allow fetching from private, loopback and link-local "
           "addresses", "Allow private addresses", into=(HttpSettings, "allow_private")),
    Option("fetch_concurrency", "requests in flight at once per worker",
           "Requests in flight per worker", into=(HttpSettings, "concurrency")),
    Option("per_host_concurrency", "requests in flight at once to one host",
           "Requests in flight per host", into=(HttpSettings, "per_host_concurrency")),
    Option("per_host_delay", "seconds between the starts of two requests to one host",
           "Delay between requests to one host (s)", into=(HttpSettings, "per_host_delay")),
    Option("ignore_robots", "do not honour robots.txt (only for sources you own)",
           "Ignore robots.txt", into=(HttpSettings, "obey_robots"), unit=NEGATED),
    Option("max_crawl_delay", "the longest wait a host may ask between requests (robots.txt "
           "Crawl-delay, a refusal's Retry-After), in seconds; a longer one is honoured as "
           "this", "Longest wait a host may ask (s)",
           into=(HttpSettings, "max_crawl_delay")),
    # The shortest interval is also the one a feed starts at (and keeps, when its entries
    # carry no dates to observe a cadence from).
    Option("poll_interval", "streaming: seconds between polling ticks, the shortest interval "
           "any feed is polled at", "Shortest poll interval (s)",
           into=(PollSettings, "min_interval", "default_interval")),
    Option("max_poll_interval", "streaming: the longest a feed waits",
           "Longest poll interval (s)", into=(PollSettings, "max_interval")),
    Option("rediscover_minutes", "streaming: minutes between readings of the sitemap indexes, "
           "robots.txt files, homepages and feed lists given to --feeds",
           "Source rereading (minutes)", into=(PollSettings, "rediscover_every"), unit=MINUTES),
    Option("dedup_ttl_hours", "how long a seen article key is remembered",
           "Duplicate memory (hours)", into=(IngestConfig, "dedup_ttl"), unit=HOURS),
    Option("near_dup_threshold", "estimated Jaccard similarity (5-word shingles) above which "
           "two articles are copies of one story", "Near-duplicate threshold",
           into=(IngestConfig, "near_dup_threshold"), pattern=r"^(0(\.[0-9]+)?|1(\.0+)?)$"),
    Option("drop_near_duplicates", "drop later copies of a story instead of indexing them "
           "linked", "Drop near-duplicates", into=(IngestConfig, "drop_near_duplicates")),
    Option("insecure_skip_tls_verify", "do not verify TLS certificates (unsafe)",
           "Skip TLS verification (unsafe)", into=(HttpSettings, "verify_tls"), unit=NEGATED),
    Option("max_age", "skip sitemap entries modified longer ago (e.g. 2d, 36h, 90m)",
           "Oldest sitemap entry", into=(PollSettings, "max_age"), unit=DURATION),
    Option("archive", "write every fetched page as WARC into this directory (a local path or "
           "any Beam filesystem, e.g. gs://bucket/warc)", "WARC archive directory",
           into=(IngestConfig, "archive"), pattern=PATH),
    Option("archive_file_mb", "close an archive file and begin another at this size (MiB, "
           "compressed)", "WARC file size (MiB)", into=(IngestConfig, "archive_file_bytes"),
           unit=MIB),
    Option("archive_file_minutes", "close an archive file once it is this many minutes old, "
           "so streaming runs complete their files", "WARC file age (minutes)",
           into=(IngestConfig, "archive_file_age"), unit=MINUTES),
    Option("warc", "read pages from WARC files matching this pattern instead of polling feeds",
           "WARC files to read", default="", pattern=PATH),
)
BY_NAME = {option.name: option for option in OPTIONS}


def add_flags(parser: argparse.ArgumentParser, *names: str, help: str | None = None) -> None:
    """Give another command the flags of these options, as `newswire run` takes them (type,
    default): a command that reads the index takes `--es-url` and `--index`, defaulting to
    where the run writes. `help` is the command's own word on them (where `run`'s, "the alias
    to write to", would mislead)."""
    for name in names:
        option = BY_NAME[name]
        parser.add_argument(option.flag, dest=name, help=help, **option.value())


def given(values: Any, target: type) -> dict[str, Any]:
    """The keywords of `target` that `values` (options, or a command's arguments) set, in the
    target's units; the rest keep its defaults."""
    keywords: dict[str, Any] = {}
    for option in OPTIONS:
        value = getattr(values, option.name, None)
        if option.into[:1] != (target,) or value is None or value is False:
            continue
        keywords.update(dict.fromkeys(option.into[1:], option.unit.into(value)))
    return keywords


def sizing_of(arguments: argparse.Namespace) -> Sizing:
    """The `Sizing` a command's arguments ask for (`es migrate` takes the sizing flags)."""
    return Sizing(**given(arguments, Sizing))


_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def duration_seconds(value: str, zero: bool = False) -> float:
    """`2d`, `36h`, `90m`, `45s` in seconds; a bare number is days; 0 only if `zero`."""
    text = str(value).strip().lower()
    unit = _UNITS.get(text[-1:])
    try:
        seconds = float(text[:-1] if unit else text) * (unit or _UNITS["d"])
    except ValueError:
        raise ValueError(f"not a duration: {value!r} (use e.g. 2d, 36h, 90m)") from None
    if seconds < 0 or (seconds == 0 and not zero):
        raise ValueError(f"not a positive duration: {value!r}")
    return seconds


def newswire_option_names() -> frozenset[str]:
    """The names of newswire's own options, as opposed to Beam's."""
    return frozenset(BY_NAME)


DESCRIPTION = ("Polls news feeds, fetches and extracts the articles politely, and indexes them "
               "into Elasticsearch; batch or streaming (parameter streaming=true).")


def template_metadata() -> str:
    """`deploy/dataflow/metadata.json`: the Flex Template's parameters, one per option."""
    metadata = {"name": "newswire", "description": DESCRIPTION,
                "parameters": [option.parameter() for option in OPTIONS]}
    return json.dumps(metadata, indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="newswire's options, as files derive them")
    parser.add_argument("--metadata", action="store_true", required=True,
                        help="print the Dataflow template's metadata.json")
    parser.parse_args(argv)
    print(template_metadata(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
