"""Elasticsearch: the client, index layout, retries, the sink, revisions, dead letters."""
