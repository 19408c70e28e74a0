"""The `newswire` command line: every subcommand is there, and a command imports only what it
needs, so the light ones never import Beam (or the job) to start, and those that only read the
index not the client library either (it loads pyarrow and numpy)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from newswire.pipeline import cli

# Runs the command in a fresh interpreter, then says which heavy packages it imported.
_IMPORTED = """
import json
import sys
from newswire.pipeline import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps([name for name in ("apache_beam", "newswire.pipeline.job.graph", "trafilatura",
                                    "elasticsearch", "elastic_transport", "pyarrow", "numpy")
                  if name in sys.modules]))
"""
NOWHERE = "http://127.0.0.1:9"  # nothing listens: each command goes as far as its request


def imported_by(*argv: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _IMPORTED, *argv],
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["search", "--help"], ["es", "--help"],
                                  ["deadletter", "list", "--help"]])
def test_light_commands_do_not_import_beam(argv: list[str]) -> None:
    assert imported_by(*argv) == []


@pytest.mark.parametrize("argv", [["search", "x"], ["deadletter", "list"], ["sources"],
                                  ["sources", "https://a.example/rss"], ["es", "status"]])
def test_read_only_commands_import_neither_beam_nor_the_client(argv: list[str]) -> None:
    """Run to their request (refused: nothing listens), they have imported all they use."""
    assert imported_by(*argv, "--es-url", NOWHERE) == []


def test_es_migrate_imports_the_client() -> None:
    """The check above could pass by importing nothing at all: `es migrate` loads the client."""
    assert "elasticsearch" in imported_by("es", "migrate", "--es-url", NOWHERE)


def test_run_imports_beam_when_it_is_given() -> None:
    """The check above could pass by importing nothing at all: `run` does load the job."""
    assert "apache_beam" in imported_by("run", "--help")


def test_every_subcommand_parses_its_own_arguments() -> None:
    parser = cli._parser()
    assert parser.parse_args(["search", "strike", "--limit", "3"]).limit == 3
    assert parser.parse_args(["deadletter", "list", "--stage", "fetch"]).stage == "fetch"
    assert parser.parse_args(["deadletter", "replay", "--fetch-timeout", "5"]).fetch_timeout == 5
    assert parser.parse_args(["es", "status"]).handler.__module__ == "newswire.pipeline.commands.es"
    for name in cli.COMMANDS:
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--no-such-flag"])


def test_each_failure_printed_in_one_line_names_a_real_class() -> None:
    for module, names in cli.REPORTED.items():
        __import__(module)
        for name in names:
            assert issubclass(getattr(sys.modules[module], name), Exception), name


def test_a_reported_failure_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["search", "--index", "Bad Name", "--es-url", "http://127.0.0.1:9"]) == 1
    assert capsys.readouterr().err.startswith("newswire: index name 'Bad Name'")
