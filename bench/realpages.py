"""Benchmark of faithfulness: `newswire evaluate` on the labelled real pages, newswire beside
bare trafilatura, field by field.

Run as `.venv/bin/python bench/realpages.py [DIR] [--worst N] [--json]`; DIR defaults to
$NEWSWIRE_REALPAGES, else `<repo>/../shared/realpages`.
"""

from __future__ import annotations

import sys

from newswire.pipeline.cli import main
from newswire.pipeline.commands.evaluate import development_pages

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0].startswith("-"):
        arguments.insert(0, str(development_pages()))
    sys.exit(main(["evaluate", *arguments]))
