"""End to end: `newswire run` against the script a user would write, and the extraction floor.

One run serves a corpus on loopback behind RSS feeds (one server per "host", each on its own
loopback address) and measures side by side, interleaved when repeated:

1. newswire: `newswire run` at its defaults into the real local node;
2. the sequential script (bench/script_baseline.py: feedparser, urllib,
   trafilatura.bare_extraction with metadata, elasticsearch.helpers.bulk) into a fresh index;
3. the extraction floor: trafilatura.bare_extraction of the same pages already in memory, in a
   2-process pool, nothing fetched or indexed.

Each side runs as its own process tree: wall time, CPU summed over all its processes, peak PSS
summed over all its processes (sampled from /proc), average cores busy (over the whole run and
in the steady state between 10% and 90% of its wall time). Throughput is corpus entries per
second. It prints newswire/script and newswire/floor and checks that newswire indexed what the
corpus says it should.

Corpora: `real`, the pages of ../shared/realpages (each listed once; skipped, with the reason,
where the folder is absent), and `generated`, N articles (default 10,000) over 100 feeds on 20
hosts, pages of 100-400 KB with scripts and navigation, about 10% duplicates (half a link listed
in two feeds, half a byte-identical copy on another host, indexed as a near-duplicate) and 5%
updates (a newer version under another URL of the same host naming the original as canonical).

    .venv/bin/python bench/e2e.py [--corpus real generated] [--articles 10000] [--repeat 1]
                                  [--port 9351] [--realpages PATH] [--timeout 1800]
                                  [--profile FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import trafilatura
from elasticsearch import Elasticsearch

from newswire.pipeline.commands.evaluate import development_pages
from newswire.pipeline.services.elasticsearch import LocalNode

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOSTS = 20
FEEDS = 100
START = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
# Between two generated articles' publication: 100,000 of them span 23 days, all in the past of
# any run (a date more than a day past the fetch is a validation dead letter: at a minute apart,
# a 100,000-entry corpus dated four in ten of its articles ahead of the clock).
SPACING = timedelta(seconds=20)
TARGETS = {"script": 1.5, "floor": 0.8, "cpu": 1.25, "cores": 1.7}


# ---------------------------------------------------------------------------------- corpora


@dataclass
class Corpus:
    """What is served where, and what newswire should end up with."""

    name: str
    entries: list[str]  # every feed entry's link, in feed order (a link may repeat)
    expected_indexed: int  # documents the articles index should hold
    expected_updated: int  # of those, documents that are the newer of two versions
    pages: Callable[[], Iterator[tuple[str, str]]]  # (url, html) of distinct pages, for the floor
    titles: dict[str, str] = field(default_factory=dict)


def realpages_dir(given: str | None) -> Path | None:
    """The real pages: --realpages, else `development_pages()`; None where there are none."""
    folder = Path(given) if given else development_pages()
    return folder if (folder / "pages").is_dir() else None


def host_address(n: int) -> str:
    return f"127.0.0.{2 + n % HOSTS}"


class Site:
    """The corpus as a server sees it: path -> bytes, built per request where pages are big."""

    def __init__(self, kind: str, articles: int, realpages: Path | None) -> None:
        self.kind, self.articles, self.realpages = kind, articles, realpages
        self.ports: dict[str, int] = {}

    def base(self, n: int) -> str:
        address = host_address(n)
        return f"http://{address}:{self.ports[address]}"

    # -- the real pages
    def real_names(self) -> list[str]:
        return sorted(p.name.removesuffix(".html.gz")
                      for p in (self.realpages / "pages").glob("*.html.gz"))

    def real_page(self, name: str) -> bytes:
        return gzip.decompress((self.realpages / "pages" / f"{name}.html.gz").read_bytes())

    # -- the generated pages
    def plan(self) -> tuple[list[str], list[int], list[int], list[int]]:
        """Entry paths in feed order; originals, updated originals, mirrored originals."""
        n = self.articles
        updates, duplicates = round(0.05 * n), round(0.10 * n)
        originals = n - updates - duplicates
        rng = random.Random(13)
        updated = sorted(rng.sample(range(originals), updates))
        doubled = rng.sample(range(originals), duplicates)
        relisted, mirrored = sorted(doubled[: duplicates // 2]), sorted(doubled[duplicates // 2:])
        paths = [f"{o}/news/{o}.html" for o in range(originals)]
        paths += [f"{o}/news/{o}-v2.html" for o in updated]
        paths += [f"{o}/news/{o}.html" for o in relisted]
        paths += [f"{o + 7}/mirror/{o}.html" for o in mirrored]
        rng.shuffle(paths)
        return paths, list(range(originals)), updated, mirrored

    def corpus(self) -> Corpus:
        if self.kind == "real":
            names = self.real_names()
            entries = [f"{self.base(i)}/real/{name}.html" for i, name in enumerate(names)]

            def real() -> Iterator[tuple[str, str]]:
                for url, name in zip(entries, names, strict=True):
                    yield url, self.real_page(name).decode("utf-8", "replace")

            return Corpus("real", entries, len(names), 0, real)
        paths, originals, updated, mirrored = self.plan()
        entries = [self.url(path) for path in paths]

        def pages() -> Iterator[tuple[str, str]]:
            for path in paths:
                if "-v2" not in path and "/mirror/" not in path:
                    yield self.url(path), self.serve(path.split("/", 1)[1]).decode()

        # A mirror names its original canonical from another host, so it is an article of its
        # own (a canonical URL counts only on the page's own site), linked as a near-duplicate.
        return Corpus("generated", entries, len(originals) + len(mirrored), len(updated), pages)

    def url(self, path: str) -> str:
        host, rest = path.split("/", 1)
        return f"{self.base(int(host))}/{rest}"

    # -- what each path serves
    def feeds(self) -> dict[str, list[str]]:
        corpus = self.corpus()
        count = FEEDS if self.kind == "generated" else HOSTS
        feeds: dict[str, list[str]] = {f"{self.base(f)}/feed/{f}.xml": [] for f in range(count)}
        urls = list(feeds)
        listed: list[set[str]] = [set() for _ in urls]
        for i, link in enumerate(corpus.entries):
            feed = i % count
            while link in listed[feed]:  # a link listed twice goes to two feeds
                feed = (feed + 1) % count
            feeds[urls[feed]].append(link)
            listed[feed].add(link)
        return feeds

    def serve(self, path: str) -> bytes | None:
        if path == "feeds.txt":  # laid out once by `start`: at 100,000 entries that takes time
            return self.feed_list
        if path.startswith("feed/"):
            return self.feed_xml(path)
        if match := re.fullmatch(r"real/(.+)\.html", path):
            return self.real_page(match[1])
        if match := re.fullmatch(r"(news|mirror)/(\d+)(-v2)?\.html", path):
            return generated_page(int(match[2]), self.url(f"{match[2]}/news/{match[2]}.html"),
                                  revised=bool(match[3])).encode()
        return None

    def feed_xml(self, path: str) -> bytes | None:
        links = self.feeds_cache.get(path)
        if links is None:
            return None
        items = []
        for link in links:
            number = int((re.findall(r"\d+", link.rsplit("/", 1)[1]) or [0])[0])
            published = format_datetime(published_at(number))
            items.append(f"<item><title>Story {number}</title><link>{escape(link)}</link>"
                         f"<guid>{escape(link)}</guid><pubDate>{published}</pubDate></item>")
        return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Bench feed {path}</title><link>http://bench.example/</link>"
                f"{''.join(items)}</channel></rss>").encode()

    def start(self) -> None:
        """Bind one server per host address; `ports` then says where each listens."""
        self.servers = []
        for n in range(HOSTS):
            server = ThreadingHTTPServer((host_address(n), 0), _handler(self))
            server.daemon_threads = True
            self.servers.append(server)
            self.ports[host_address(n)] = server.server_address[1]
        feeds = self.feeds()
        self.feed_list = "\n".join(feeds).encode()
        self.feeds_cache = {url.split("/", 3)[3]: links for url, links in feeds.items()}
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = site.serve(self.path.lstrip("/"))
            kind = "application/rss+xml" if self.path.startswith("/feed/") else (
                "text/plain" if self.path.endswith(".txt") else "text/html; charset=utf-8")
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    return Handler


WORDS = [a + b + c for a in ("st", "gr", "pl", "m", "v", "tr", "l", "b", "c", "d")
         for b in ("a", "e", "io", "ou", "i", "ea") for c in ("n", "rt", "s", "ll", "m", "ck",
                                                             "ng", "ve", "te", "d")]


def _chrome(variant: int) -> tuple[str, str, str]:
    """A site's head, navigation and footer: the bulk of a real page's weight."""
    rng = random.Random(variant)
    scripts = "".join(
        f"<script>var cfg{k}={json.dumps({f'k{j}': ''.join(rng.choices('abcdef0123456789', k=40)) for j in range(rng.randint(150, 500))})};"  # noqa: E501
        f"function f{k}(a){{return a.map(function(x){{return x*{k}+cfg{k}.k1.length}})}}</script>"
        for k in range(rng.randint(3, 12)))
    style = "<style>" + "".join(f".c{k}{{margin:{k}px;color:#{k:06x}}}" for k in range(800)) + \
        "</style>"
    nav = "<nav><ul>" + "".join(
        f'<li><a href="/section/{k}">{" ".join(rng.choices(WORDS, k=2))}</a></li>'
        for k in range(rng.randint(150, 400))) + "</ul></nav>"
    footer = "<footer><ul>" + "".join(
        f'<li><a href="/about/{k}">{rng.choice(WORDS)}</a></li>' for k in range(200)) + \
        "</ul><p>Copyright 2026 Bench Media Group</p></footer>"
    return scripts + style, nav, footer


_CHROMES: dict[int, tuple[str, str, str]] = {}


def published_at(number: int) -> datetime:
    """Generated article `number`'s publication time, in its feed and on its page."""
    return START + number * SPACING


def generated_page(number: int, canonical: str, revised: bool = False) -> str:
    """Article `number`'s page; deterministic, so two fetches of one URL give the same bytes."""
    rng = random.Random(number)
    variant = number % 16
    if variant not in _CHROMES:
        _CHROMES[variant] = _chrome(variant)
    head, nav, footer = _CHROMES[variant]
    title = " ".join(rng.choices(WORDS, k=rng.randint(5, 10))).capitalize() + (
        " (updated)" if revised else "")
    author = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS).capitalize()}"
    published = published_at(number)
    modified = published + timedelta(hours=3 if revised else 0)
    paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(40, 90))).capitalize() + "."
                  for _ in range(rng.randint(6, 18))]
    paragraphs[1] += f' See <a href="/topics/{rng.choice(WORDS)}">more on this</a>.'
    if revised:
        paragraphs.append("This article was updated with new information.")
    related = "".join(f'<li><a href="/news/{rng.randrange(10**6)}.html">'
                      f'{" ".join(rng.choices(WORDS, k=6))}</a></li>' for _ in range(30))
    jsonld = json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
        "datePublished": published.isoformat(), "dateModified": modified.isoformat(),
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": f"Bench Outlet {variant}"}})
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Bench '
        f'Outlet {variant}</title><link rel="canonical" href="{canonical}">'
        f'<meta property="og:title" content="{title}">'
        f'<script type="application/ld+json">{jsonld}</script>{head}</head><body>{nav}'
        f'<main><article><h1>{title}</h1><p class="byline">By {author}</p>'
        f'<time datetime="{published.isoformat()}">{published:%d %B %Y}</time>'
        f'<figure><img src="/img/{number}.jpg" alt="{title}"><figcaption>A picture. Photo: '
        f"{author}</figcaption></figure>{body}</article>"
        f'<aside><h2>Related</h2><ul>{related}</ul></aside></main>{footer}</body></html>')


def serve_corpus(site: Site, ready: multiprocessing.Queue) -> None:
    """The server process: bind, report the ports, serve until terminated."""
    site.start()
    ready.put(site.ports)
    signal.pause()


# --------------------------------------------------------------------------- measurement


@dataclass
class Measured:
    wall: float
    cpu: float
    peak_mb: float  # proportional set size, summed over the tree
    steady_cores: float
    output: str

    @property
    def cores(self) -> float:
        return self.cpu / self.wall if self.wall else 0.0


def _tree(root: int) -> list[int]:
    """`root` and every live descendant, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _usage(pid: int) -> tuple[float, float] | None:
    """(CPU seconds, proportional set size MB) of one process: its RSS with each page shared
    among N processes counted 1/N, so a sum over processes forked from one another counts each
    page once."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    pss_kb = next((int(line.split()[1]) for line in rollup.splitlines()
                   if line.startswith("Pss:")), 0)
    return (int(fields[11]) + int(fields[12])) / ticks, pss_kb / 1024


def measure(command: list[str], timeout: float) -> Measured:
    """Run `command` as a new process group; sample its tree until it exits."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=REPO)
        cpu_seen: dict[int, float] = {}
        curve: list[tuple[float, float]] = []
        peak = 0.0
        while True:
            done, status, usage = os.wait4(process.pid, os.WNOHANG)
            if done:
                break
            memory = 0.0
            for pid in _tree(process.pid):
                if (sample := _usage(pid)) is not None:
                    cpu_seen[pid], memory = sample[0], memory + sample[1]
            peak = max(peak, memory)
            curve.append((time.perf_counter() - started, sum(cpu_seen.values())))
            if time.perf_counter() - started > timeout:
                os.killpg(process.pid, signal.SIGKILL)
            time.sleep(0.25)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode:
        raise RuntimeError(f"{command[1]} exited {process.returncode}:\n{output[-3000:]}")
    cpu = max(usage.ru_utime + usage.ru_stime, sum(cpu_seen.values()))
    return Measured(wall, cpu, peak, _steady(curve, wall), output)


def _steady(curve: list[tuple[float, float]], wall: float) -> float:
    """Cores busy between 10% and 90% of the wall time."""
    def at(t: float) -> float:
        return next((cpu for when, cpu in curve if when >= t), curve[-1][1] if curve else 0.0)
    return (at(0.9 * wall) - at(0.1 * wall)) / (0.8 * wall) if wall else 0.0


def _extract(page: tuple[str, str]) -> bool:
    doc = trafilatura.bare_extraction(page[1], url=page[0], with_metadata=True)
    return doc is not None


def extraction_floor(pages: list[tuple[str, str]]) -> tuple[float, float]:
    """(seconds, CPU seconds) to extract `pages` in a 2-process pool."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(abs, range(4))  # started before the clock
        started = time.perf_counter()
        pool.map(_extract, pages, chunksize=4)
        wall = time.perf_counter() - started
        pool.close()
        pool.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


# --------------------------------------------------------------------------- the sides


def drop(client: Elasticsearch, alias: str) -> None:
    for name in client.indices.get(index=f"{alias}*", expand_wildcards="all"):
        client.indices.delete(index=name)
    client.options(ignore_status=404).indices.delete_index_template(name=alias)


def run_newswire(feed_list: str, es_url: str, index: str, timeout: float,
                 profile: str | None = None) -> Measured:
    """`newswire run`; under py-spy (every process, raw stacks into `profile`) if given."""
    spy = [str(BIN / "py-spy"), "record", "--subprocesses", "--nonblocking", "--format", "raw",
           "--output", profile, "--"] if profile else []  # not pausing the processes it samples
    return measure([*spy, str(BIN / "newswire"), "run", "--feeds", feed_list, "--es-url", es_url,
                    "--index", index, "--dead-letter-index", f"{index}-dead",
                    "--history-index", f"{index}-history", "--allow-private-addresses"],
                   timeout)


def run_script(feed_list: str, es_url: str, index: str, timeout: float) -> Measured:
    return measure([sys.executable, str(REPO / "bench/script_baseline.py"), feed_list, es_url,
                    index], timeout)


def summary_counts(output: str) -> dict[str, int]:
    """The numbers in newswire's end-of-run summary."""
    counts = {}
    patterns = {"entries": r"entries seen\s+(\d+)", "indexed": r"indexed\s+(\d+)",
                "updated": r"indexed .*updated (\d+)",
                "duplicates": r"duplicates dropped\s+(\d+)", "dead": r"dead-lettered\s+(\d+)"}
    for name, pattern in patterns.items():
        match = re.search("^" + pattern, output, re.M)  # summary lines, not the progress line
        counts[name] = int(match[1]) if match else -1
    counts["balanced"] = int("unaccounted" not in output and "entries = indexed" in output)
    return counts


def check(corpus: Corpus, client: Elasticsearch, index: str, output: str) -> list[str]:
    """What newswire got wrong against the corpus; empty when all is as it should be."""
    client.indices.refresh(index=index)
    stored = client.count(index=index)["count"]
    counts = summary_counts(output)
    problems = []
    if counts["entries"] != len(corpus.entries):
        problems.append(f"entries seen {counts['entries']}, corpus lists {len(corpus.entries)}")
    if not counts["balanced"]:
        problems.append("summary does not balance")
    if corpus.name == "generated":
        newer = client.count(index=index, query={"match_phrase": {"title": "updated"}})["count"]
        if stored != corpus.expected_indexed or counts["dead"]:
            problems.append(f"index holds {stored}, {counts['dead']} dead letters; expected "
                            f"{corpus.expected_indexed}, none")
        if newer != corpus.expected_updated:
            problems.append(f"{newer} documents hold the newer version; expected "
                            f"{corpus.expected_updated}")
    elif stored + counts["dead"] != corpus.expected_indexed:
        problems.append(f"index holds {stored} + {counts['dead']} dead letters; corpus has "
                        f"{corpus.expected_indexed} pages")
    return problems


def bench_corpus(site: Site, args: argparse.Namespace, es_url: str) -> None:
    ready: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
    server = multiprocessing.get_context("fork").Process(target=serve_corpus, args=(site, ready),
                                                         daemon=True)
    server.start()
    site.ports = ready.get(timeout=60)
    site.feeds_cache = {}
    corpus = site.corpus()
    feed_list = f"{site.base(0)}/feeds.txt"
    client = Elasticsearch(es_url, request_timeout=120)
    results: dict[str, list[Measured]] = {"newswire": [], "script": []}
    floors: list[tuple[float, float]] = []
    problems: list[str] = []
    try:
        sample = list(corpus.pages())[: args.floor_sample]
        for round_ in range(args.repeat):
            order = ("newswire", "script") if round_ % 2 == 0 else ("script", "newswire")
            for side in order:
                index = f"bench-e2e-{side}-{round_}"
                drop(client, index)
                measured = (run_newswire(feed_list, es_url, index, args.timeout, args.profile)
                             if side == "newswire" else
                             run_script(feed_list, es_url, index, args.timeout))
                results[side].append(measured)
                if side == "newswire":
                    problems += check(corpus, client, index, measured.output)
                drop(client, index)
            floors.append(extraction_floor(sample))  # each round, under that round's load
    finally:
        client.close()
        server.terminate()
    floor_wall, floor_cpu = (statistics.median(f[i] for f in floors) for i in (0, 1))
    report(corpus, results, len(sample), floor_wall, floor_cpu, problems)


def report(corpus: Corpus, results: dict[str, list[Measured]], sampled: int, floor_wall: float,
           floor_cpu: float, problems: list[str]) -> None:
    entries = len(corpus.entries)

    def median(side: str, attribute: str) -> float:
        return statistics.median(getattr(m, attribute) for m in results[side])

    print(f"\n== {corpus.name}: {entries} entries, {corpus.expected_indexed} articles to index "
          f"(median of {len(results['newswire'])} interleaved runs; floor on {sampled} pages)")
    print(f"{'':10} {'wall s':>8} {'CPU s':>8} {'entries/s':>10} {'CPU ms/entry':>13} "
          f"{'peak PSS MB':>12} {'cores':>6} {'steady':>7}")
    rates = {}
    for side in results:
        wall, cpu = median(side, "wall"), median(side, "cpu")
        rates[side] = entries / wall
        print(f"{side:10} {wall:8.1f} {cpu:8.1f} {rates[side]:10.1f} {1000 * cpu / entries:13.1f}"
              f" {median(side, 'peak_mb'):12.0f} {median(side, 'cores'):6.2f}"
              f" {median(side, 'steady_cores'):7.2f}")
    rates["floor"] = sampled / floor_wall
    floor_cpu_per = floor_cpu / sampled
    print(f"{'floor':10} {entries / rates['floor']:8.1f} {floor_cpu_per * entries:8.1f} "
          f"{rates['floor']:10.1f} {1000 * floor_cpu_per:13.1f} {'':>12} "
          f"{floor_cpu / floor_wall:6.2f}   (extrapolated from {sampled} pages)")
    cpu_ratio = median("newswire", "cpu") / entries / floor_cpu_per
    verdicts = [
        ("newswire/script throughput", rates["newswire"] / rates["script"], TARGETS["script"]),
        ("newswire/floor throughput", rates["newswire"] / rates["floor"], TARGETS["floor"]),
        ("CPU per entry, newswire/floor", cpu_ratio, TARGETS["cpu"]),
        ("cores busy, steady state", median("newswire", "steady_cores"), TARGETS["cores"]),
    ]
    for label, value, target in verdicts:
        good = value <= target if label.startswith("CPU") else value >= target
        bound = "<=" if label.startswith("CPU") else ">="
        print(f"{label:32} {value:5.2f}  (target {bound} {target}) {'ok' if good else 'MISSED'}")
    print("newswire indexed what the corpus says: "
          + ("yes" if not problems else "NO - " + "; ".join(problems)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", choices=("real", "generated"),
                        default=["real", "generated"])
    parser.add_argument("--articles", type=int, default=10_000,
                        help="entries in the generated corpus")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs of each side")
    parser.add_argument("--port", type=int, default=9351, help="the Elasticsearch node's port")
    parser.add_argument("--realpages", help="the real pages folder (has pages/*.html.gz)")
    parser.add_argument("--floor-sample", type=int, default=1000,
                        help="distinct pages the extraction floor is measured on")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run, at most")
    parser.add_argument("--profile", metavar="FILE",
                        help="run newswire under py-spy (pip install py-spy), its raw stacks "
                             "into FILE; its times are then the profiler's, not comparable")
    args = parser.parse_args()

    node = LocalNode(port=args.port, heap_mb=1024)
    started_here = node.health() is None
    node.start(say=lambda line: print(f"[es] {line}"))
    try:
        for kind in args.corpus:
            realpages = realpages_dir(args.realpages) if kind == "real" else None
            if kind == "real" and realpages is None:
                print("\n== real: SKIPPED - no real pages folder (give --realpages PATH or "
                      "$NEWSWIRE_REALPAGES; default <repo>/../shared/realpages)")
                continue
            bench_corpus(Site(kind, args.articles, realpages), args, node.url)
    finally:
        if started_here:
            node.stop(say=lambda line: print(f"[es] {line}"))


if __name__ == "__main__":
    main()
