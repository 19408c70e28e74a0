"""Fetching pages politely and safely: HTTP, the address guard, per-host limits, WARC."""
