"""Local services newswire starts for a user or a test: the Elasticsearch node, Prism, Flink."""
