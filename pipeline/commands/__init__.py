"""The `newswire` subcommands other than `run`: search, dead letters, Kibana, evaluation."""
