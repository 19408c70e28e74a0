"""Deciding duplicates: exact copies by fingerprint, near-duplicates by MinHash."""
