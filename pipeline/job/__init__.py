"""The ingestion job: its graph, the runner it runs on, its life from start to summary."""
