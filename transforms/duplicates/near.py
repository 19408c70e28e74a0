"""Near-duplicate detection: the same story republished elsewhere, found by MinHash LSH.

Articles are compared on word 5-shingles of their plain text. A MinHash signature (datasketch)
estimates Jaccard similarity; LSH banding turns it into keys, so only articles that share a band
are ever compared. In streaming the band memory lives in Beam keyed state, shared by every
worker; in batch (a bounded input) each band's sketches come together in one GroupByKey and the
links reach the articles as a side input, which gives the same links without a state read and
write per band and article. Each article leaves carrying its band keys and signature, which are
indexed with it; with `recall`, links to copies indexed by earlier runs join those found here
(transforms/duplicates/memory.py).
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache, partial
from typing import Any, NamedTuple

import apache_beam as beam
import numpy as np
from apache_beam import coders
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagRuntimeState,
    BagStateSpec,
    ReadModifyWriteRuntimeState,
    ReadModifyWriteStateSpec,
    RuntimeTimer,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Duration, Timestamp

from newswire.schemas.article import Article
from newswire.transforms.coders import ArticleCoder, StateKey
from newswire.transforms.duplicates.exact import is_batch
from newswire.transforms.duplicates.settings import DEFAULT_THRESHOLD
from newswire.transforms.process_pool import PooledDoFn

SHINGLE_WORDS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # datasketch's default: 32-bit hash values, collision-free permutations
UNPUBLISHED = sys.maxsize  # ranks an article without published_at after every dated copy
_NOT_WORD = re.compile(r"[^\w\s]")
_CHANCE = 1 / 256  # two unrelated low bytes agree this often


class Sketch(NamedTuple):
    """What a band remembers of an article: who, its rank, when to forget it, its signature."""

    id: str
    published: int  # microseconds since the epoch, UNPUBLISHED when unknown
    expires: int  # element timestamp + TTL, in microseconds
    signature: bytes  # compact(): the low byte of each MinHash value


class Link(NamedTuple):
    """A band's verdict for an article: it copies `target`. Tuple order ranks first-seen first."""

    published: int
    target: str


coders.registry.register_coder(Sketch, coders.RowCoder)
coders.registry.register_coder(Link, coders.RowCoder)


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    """The k-word shingles of lowercased, punctuation-stripped text; shorter texts give one."""
    words = _NOT_WORD.sub("", text.lower()).split()
    return {" ".join(words[i:i + k]) for i in range(max(1, len(words) - k + 1))} if words else set()


@cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's permutation parameters, drawn once per process rather than per article."""
    from datasketch import MinHash  # imported here: see signature()

    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


def signature(shingle_set: Iterable[str], num_perm: int = NUM_PERM) -> np.ndarray:
    """The MinHash signature (uint32 values) of a shingle set."""
    # Imported here: datasketch imports scipy (0.4 s), and a local batch run sketches in its
    # worker processes only, whose forkserver imports it up front (newswire.pipeline.command).
    from datasketch import MinHash

    minhash = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME,
                      permutations=_permutations(num_perm, SEED))
    minhash.update_batch([shingle.encode() for shingle in shingle_set])
    return minhash.digest().astype(np.uint32)


def compact(sig: np.ndarray) -> bytes:
    """The low byte of each MinHash value (b-bit minwise hashing): a quarter of the state."""
    return sig.astype(np.uint8).tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two compact signatures, corrected for the 1/256 chance
    that low bytes agree by accident.
    """
    agree = np.count_nonzero(np.frombuffer(a, np.uint8) == np.frombuffer(b, np.uint8)) / len(a)
    return max(0.0, (agree - _CHANCE) / (1 - _CHANCE))


def band_shape(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows) whose LSH S-curve, (1/bands)^(1/rows), sits at or just under `threshold`.

    Erring low favours recall: candidates are confirmed on the full signature anyway.
    """
    fitting = [rows for rows in range(1, num_perm + 1)
               if (1 / (num_perm // rows)) ** (1 / rows) <= threshold]
    rows = max(fitting, default=1)
    return num_perm // rows, rows


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[str]:
    """One LSH key per band: its index and its rows' values, so equal bands share a key."""
    return [f"{band}:{sig[band * rows:(band + 1) * rows].tobytes().hex()}"
            for band in range(bands)]


def rank(sketch: Sketch) -> tuple[int, str]:
    """First-seen order: earliest published, ties broken by id."""
    return sketch.published, sketch.id


def band_verdicts(
    new: Sketch, remembered: Iterable[Sketch], threshold: float
) -> Iterator[tuple[str, Link]]:
    """For each remembered sketch that `new` confirms as a copy, link the later one to the earlier.

    A new sketch that predates a remembered copy links that copy to itself, so arrival order
    does not decide which copy is first-seen.
    """
    for old in remembered:
        if old.id == new.id or similarity(old.signature, new.signature) < threshold:
            continue
        earlier, later = sorted((old, new), key=rank)
        yield later.id, Link(earlier.published, earlier.id)


def unexpired(remembered: Iterable[Sketch], now_micros: int) -> list[Sketch]:
    """The sketches whose TTL has not run out at `now_micros`."""
    return [sketch for sketch in remembered if sketch.expires > now_micros]


def published_micros(moment: datetime | None) -> int:
    """An article's rank in time: microseconds since the epoch, UNPUBLISHED when undated."""
    return int(moment.timestamp() * 1_000_000) if moment else UNPUBLISHED


def band_sketch(article: Article, bands: int, rows: int) -> tuple[Sketch, list[str]] | None:
    """An article's Sketch (its expiry still 0) and its LSH band keys; None when it has no
    text. An article that carries them (`MarkBands`) is read, not sketched again."""
    published = published_micros(article.published_at)
    if article.lsh_bands and article.minhash:
        return (Sketch(article.id, published, 0, bytes.fromhex(article.minhash)),
                list(article.lsh_bands))
    words = shingles(article.text)
    if not words:
        return None
    sig = signature(words, bands * rows)
    return Sketch(article.id, published, 0, compact(sig)), band_keys(sig, bands, rows)


def with_bands(article: Article, bands: int, rows: int) -> Article:
    """The article carrying its band keys and signature (unchanged if it has no text), so they
    are indexed with it for later runs to find (transforms/duplicates/memory.py)."""
    sketched = band_sketch(article, bands, rows)
    if sketched is None:
        return article
    sketch, keys = sketched
    return article.replace(lsh_bands=tuple(keys), minhash=sketch.signature.hex())


def _unsketched(article: Article) -> None:
    """An article whose sketching worker died is left out of matching, as a textless one is."""


def _unmarked(article: Article) -> Article:
    return article


class MarkBands(PooledDoFn):
    """Sketches each article once, in `processes` worker processes if any (see PooledDoFn)."""

    def __init__(self, bands: int, rows: int, processes: int = 0) -> None:
        super().__init__(partial(with_bands, bands=bands, rows=rows), processes, _unmarked)

    def outputs(self, result: Article, timestamp: Timestamp) -> Iterator[Article]:
        yield result


class SketchArticle(PooledDoFn):
    """An article to (band key, Sketch) for each LSH band; textless articles get no bands.

    With `processes`, the MinHash work runs in that many worker processes (see PooledDoFn).
    """

    def __init__(self, bands: int, rows: int, ttl_seconds: float, processes: int = 0) -> None:
        super().__init__(partial(band_sketch, bands=bands, rows=rows), processes, _unsketched)
        self.ttl = Duration.of(ttl_seconds)

    def outputs(self, result: tuple[Sketch, list[str]] | None,
                timestamp: Timestamp) -> Iterator[tuple[str, Sketch]]:
        if result is None:
            return
        sketch, keys = result
        sketch = sketch._replace(expires=(timestamp + self.ttl).micros)
        for key in keys:
            yield key, sketch


SEEN = BagStateSpec("seen", coders.registry.get_coder(Sketch))
EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)


class Heard(NamedTuple):
    """A band's word on a newcomer: the earliest copy it found there, if any. An article is
    placed once every one of its bands has spoken (AttachCluster counts them)."""

    link: Link | None


class MatchWithinBand(beam.DoFn):
    """Per band key: remembers sketches until their TTL and gives each newcomer its `Heard`,
    and a `Link` to each remembered copy the newcomer predates.

    An event-time timer at the earliest expiry forgets old sketches, so state stays bounded.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def process(
        self,
        element: tuple[str, Sketch],
        timestamp: Timestamp = beam.DoFn.TimestampParam,
        seen: BagRuntimeState = beam.DoFn.StateParam(SEEN),
        expiry: RuntimeTimer = beam.DoFn.TimerParam(EXPIRY),
    ) -> Iterator[tuple[str, Heard | Link]]:
        _, sketch = element
        live = unexpired(seen.read(), timestamp.micros)
        own: list[Link] = []
        for copy_id, link in band_verdicts(sketch, live, self.threshold):
            if copy_id == sketch.id:
                own.append(link)
            else:
                yield copy_id, link
        yield sketch.id, Heard(min(own, default=None))
        seen.add(sketch)
        expiry.set(Timestamp(micros=min(s.expires for s in [*live, sketch])))

    @on_timer(EXPIRY)
    def forget(
        self,
        fired_at: Timestamp = beam.DoFn.TimestampParam,
        seen: BagRuntimeState = beam.DoFn.StateParam(SEEN),
        expiry: RuntimeTimer = beam.DoFn.TimerParam(EXPIRY),
    ) -> None:
        live = unexpired(seen.read(), fired_at.micros)
        seen.clear()
        for sketch in live:
            seen.add(sketch)
        if live:
            expiry.set(Timestamp(micros=min(s.expires for s in live)))


ARTICLES = BagStateSpec("articles", ArticleCoder())
LINKS = BagStateSpec("links", coders.registry.get_coder(Link))
HEARD = ReadModifyWriteStateSpec("heard", coders.VarIntCoder())  # bands heard so far
_SEALS = {b"A": ARTICLES.coder, b"L": LINKS.coder}


def seal(value: Article | Link | Heard) -> bytes:
    """An article, a link or a band's word as tagged bytes, so the join's two inputs share one
    value coder (a `Heard` is "H" and its link, if any).

    The keys are `StateKey`s (see transforms/coders.py): with keys declared `str`, Beam 2.77's
    multi-process FnApiRunner failed to decode the join's and the bands' keyed timers.
    """
    if isinstance(value, Heard):
        return b"H" + (b"" if value.link is None else LINKS.coder.encode(value.link))
    tag = b"A" if isinstance(value, Article) else b"L"
    return tag + _SEALS[tag].encode(value)


def unseal(sealed: bytes) -> Article | Link | Heard:
    if sealed[:1] == b"H":
        return Heard(LINKS.coder.decode(sealed[1:]) if len(sealed) > 1 else None)
    return _SEALS[sealed[:1]].decode(sealed[1:])


def unlinked(article: Article) -> Article:
    """The article as the first copy of its story: its own cluster, a copy of nothing."""
    return article.replace(cluster_id=article.id, duplicate_of="")


class Clusters:
    """What both forms do with an article and its earliest link: a copy joins the first-seen
    copy's cluster and is counted; an article without links is its own.
    """

    def __init__(self) -> None:
        self.near_duplicates = Metrics.counter("newswire", "near_duplicates")

    def place(self, article: Article, first_seen: Link | None) -> Article:
        if first_seen is None:
            return unlinked(article)
        self.near_duplicates.inc()
        return article.replace(cluster_id=first_seen.target, duplicate_of=first_seen.target)


DROPPED = "dropped"


class DropCopies(beam.DoFn):
    """Linked articles on; later copies of a story out by the `DROPPED` output instead, counted
    (`--drop-near-duplicates`), so what waits on an article's fate hears of theirs too."""

    def __init__(self) -> None:
        self.dropped = Metrics.counter("newswire", "near_duplicates_dropped")

    def process(self, article: Article) -> Iterator[Any]:
        if article.duplicate_of:
            self.dropped.inc()
            yield beam.pvalue.TaggedOutput(DROPPED, article)
        else:
            yield article


SETTLED = TimerSpec("settled", TimeDomain.REAL_TIME)
SETTLE_SECONDS = 2.0


class AttachCluster(beam.DoFn):
    """Per article id: holds the article and its links until every band of the article has
    given its `Heard` and `settle_seconds` have passed with nothing new for it, then sets
    cluster_id/duplicate_of from the earliest link.

    Counting the bands, rather than waiting for the watermark, places an article only once its
    own links are in on any runner (Prism was seen to let the watermark pass articles whose
    links were still on their way). The settling, in processing time, lets in the link an
    earlier-published copy sends when its sketch reaches a band just after the article's.
    A key left with links but no article and no band's word (a link to an article already
    placed) is cleared when it settles.
    """

    def __init__(self, settle_seconds: float) -> None:
        self.settle = Duration.of(settle_seconds)
        self.clusters = Clusters()

    def process(
        self,
        element: tuple[str, bytes],
        articles: BagRuntimeState = beam.DoFn.StateParam(ARTICLES),
        links: BagRuntimeState = beam.DoFn.StateParam(LINKS),
        heard: ReadModifyWriteRuntimeState = beam.DoFn.StateParam(HEARD),
        settled: RuntimeTimer = beam.DoFn.TimerParam(SETTLED),
    ) -> None:
        value = unseal(element[1])
        if isinstance(value, Article):
            articles.add(value)
        elif isinstance(value, Heard):
            heard.write((heard.read() or 0) + 1)
            if value.link is not None:
                links.add(value.link)
        else:
            links.add(value)
        settled.set(Timestamp.now() + self.settle)

    @on_timer(SETTLED)
    def emit(
        self,
        articles: BagRuntimeState = beam.DoFn.StateParam(ARTICLES),
        links: BagRuntimeState = beam.DoFn.StateParam(LINKS),
        heard: ReadModifyWriteRuntimeState = beam.DoFn.StateParam(HEARD),
    ) -> Iterator[Article]:
        held, bands_heard = list(articles.read()), heard.read() or 0
        if bands_heard < sum(len(article.lsh_bands) for article in held) or (
                not held and bands_heard):
            return  # a band, or the article, is still on its way: its arrival sets the timer
        first_seen = min(links.read(), default=None)
        for article in held:
            yield self.clusters.place(article, first_seen)
        articles.clear()
        links.clear()
        heard.clear()


class LinkNearDuplicates(beam.PTransform):
    """Gives copies of one story a shared cluster_id and a duplicate_of naming the first-seen copy.

    articles ─► MarkBands: shingles, MinHash; each article carries lsh_bands and minhash
                  │
                  ├─► SketchArticle ─► (band key, Sketch), one per LSH band, read from the marks
                  │                                          │
                  │                                          ▼
                  │                       MatchWithinBand (keyed by band key)
                  │                         sketches kept until a TTL timer;
                  │                         estimated-Jaccard check
                  │                                          │ (id, Heard: its earliest copy
                  │                                          │  in the band; Links to later
                  │                                          │  copies it predates)
                  ├─► recall, if given ─► (id, Link to an indexed earlier copy)
                  │                                          │
                  └─► (id, article) ─────────► Flatten ◄─────┘
                                                  ▼
                       AttachCluster (keyed by id; placed once all its bands were heard)
                                                  ▼
                  articles with cluster_id / duplicate_of

    With `recall`, in streaming each article reaches the Flatten through it, after its recalled
    link, so the two arrive together (a link sent apart could come after the article settled).

    First-seen is the earliest published_at, ties by id: in batch whatever the arrival order;
    in streaming for copies whose sketches reach a band within `settle_seconds` (processing
    time) of each other, or in publication order. Copies point at the earliest copy they match
    themselves (clusters are not closed transitively) and are counted as
    newswire/near_duplicates.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        ttl_seconds: float = 3 * 86400,
        settle_seconds: float = SETTLE_SECONDS,
        grouped: bool | None = None,
        processes: int = 0,
        recall: beam.DoFn | None = None,
    ) -> None:
        super().__init__()
        self.threshold, self.ttl_seconds = threshold, ttl_seconds
        self.settle_seconds = settle_seconds
        self.grouped, self.processes = grouped, processes
        self.recall = recall

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        bands, rows = band_shape(self.threshold)
        articles = articles | "MarkBands" >> beam.ParDo(
            MarkBands(bands, rows, self.processes)).with_output_types(Article)
        sketches = articles | "Sketch" >> beam.ParDo(
            SketchArticle(bands, rows, self.ttl_seconds)
        ).with_output_types(tuple[StateKey, Any])
        if self.grouped if self.grouped is not None else is_batch(articles):
            recalled = [] if self.recall is None else [
                articles | "RecallEarlier" >> beam.ParDo(self.recall)
                .with_output_types(tuple[StateKey, Any])]
            return self._grouped(articles, sketches, recalled)
        # Streaming: a recalled link travels with its article (RecallEarlier's `carry`).
        by_id = (beam.Map(lambda article: (article.id, article)) if self.recall is None
                 else beam.ParDo(_carrying(self.recall)))
        links = (
            (sketches | "MatchWithinBand" >> beam.ParDo(MatchWithinBand(self.threshold))
             .with_output_types(tuple[StateKey, Any]),
             articles | ("KeyById" if self.recall is None else "RecallEarlier")
             >> by_id.with_output_types(tuple[StateKey, Any]))
            | "AllLinks" >> beam.Flatten()
            | "SealLinks" >> beam.Map(lambda kv: (kv[0], seal(kv[1])))
            .with_output_types(tuple[StateKey, bytes])
        )
        return (
            links
            | "AttachCluster" >> beam.ParDo(AttachCluster(self.settle_seconds))
            .with_output_types(Article)
        )

    def _grouped(self, articles: beam.PCollection, sketches: beam.PCollection,
                 recalled: list[beam.PCollection]) -> beam.PCollection:
        """Batch: every band's sketches at once, the earliest link per article as a side input."""
        first_links = (
            (sketches
             | "GroupBands" >> beam.GroupByKey()
             | "MatchBand" >> beam.FlatMap(match_band, self.threshold, self.ttl_seconds),
             *recalled)
            | "AllLinks" >> beam.Flatten()
            | "EarliestLink" >> beam.CombinePerKey(min)
        )
        return articles | "Attach" >> beam.ParDo(
            AttachLinks(), beam.pvalue.AsDict(first_links)).with_output_types(Article)


def _carrying(recall: beam.DoFn) -> beam.DoFn:
    """`recall` (RecallEarlier) also sending each article on, after its link."""
    carrying = copy.copy(recall)
    carrying.carry = True
    return carrying


def match_band(band: tuple[str, Iterable[Sketch]], threshold: float,
               ttl_seconds: float) -> Iterator[tuple[str, Link]]:
    """Batch: the links among one band's sketches whose sightings lie within the TTL of each
    other, as MatchWithinBand finds them whatever their order of arrival."""
    ttl = Duration.of(ttl_seconds).micros
    remembered: list[Sketch] = []
    for sketch in sorted(band[1], key=lambda s: (s.expires, s.id)):
        remembered = [old for old in remembered if old.expires > sketch.expires - ttl]
        yield from band_verdicts(sketch, remembered, threshold)
        remembered.append(sketch)


class AttachLinks(beam.DoFn):
    """Batch: sets cluster_id/duplicate_of from the article's earliest link, as AttachCluster."""

    def __init__(self) -> None:
        self.clusters = Clusters()

    def process(self, article: Article, first_links: dict[str, Link]) -> Iterator[Article]:
        yield self.clusters.place(article, first_links.get(article.id))
