"""`newswire discover URL...`: the feeds and sitemaps each site offers, optionally as OPML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newswire.transforms.fetching.settings import HttpSettings
from newswire.transforms.sources.discover import Discoverer, Site, opml


def arguments(command: argparse.ArgumentParser) -> None:
    """`newswire discover URL... [--opml FILE]`."""
    command.description = ("Fetch each homepage and its robots.txt; print the feeds it links "
                           "to (<link rel=\"alternate\">) and the sitemaps robots.txt names.")
    command.add_argument("urls", nargs="+", metavar="URL")
    command.add_argument("--opml", type=Path,
                         help="also write what was found as a feed list for `run --feeds`")
    command.add_argument("--allow-private-addresses", action="store_true")
    command.add_argument("--ignore-robots", action="store_true",
                         help="do not honour robots.txt (only for sites you own)")
    command.set_defaults(handler=_discover)


def _discover(args: argparse.Namespace, _: list[str]) -> int:
    settings = HttpSettings(allow_private=args.allow_private_addresses,
                            obey_robots=not args.ignore_robots)
    sites: list[Site] = []
    failed = 0
    with Discoverer(settings) as discoverer:
        for url in args.urls:
            try:
                site = discoverer.site(url)
            except ValueError as error:
                print(f"newswire: {error}", file=sys.stderr)
                failed += 1
                continue
            sites.append(site)
            print(site.url)
            for feed in site.feeds:
                print(f"  feed     {feed}")
            for sitemap in site.sitemaps:
                print(f"  sitemap  {sitemap}")
            if not site.feeds and not site.sitemaps:
                print("  (no feeds or sitemaps found)")
    if args.opml:
        args.opml.write_text(opml(sites), encoding="utf-8")
        print(f"wrote {sum(len(s.feeds) + len(s.sitemaps) for s in sites)} sources to "
              f"{args.opml}", file=sys.stderr)
    return 1 if failed else 0
