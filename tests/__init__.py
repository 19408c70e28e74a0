"""newswire's tests; the folders mirror the package's rooms."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # the checkout the tests run from
