"""The job's settings (`IngestConfig`) and the options they come from load without Beam or the
Elasticsearch client, so the commands that only take their flags start without either."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

from newswire.pipeline.config import IngestConfig
from newswire.transforms.index.client import EsConnection
from newswire.transforms.index.settings import Sizing
from newswire.transforms.sources.settings import StateSettings

HEAVY = ("apache_beam", "elasticsearch", "pyarrow", "numpy")
_LOADED = """
import json, sys
import newswire.pipeline.options, newswire.pipeline.config
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy})))
"""


def test_the_options_and_the_config_import_neither_beam_nor_the_client() -> None:
    done = subprocess.run([sys.executable, "-c", _LOADED.format(heavy=set(HEAVY))],
                          capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == []


def test_a_config_with_a_state_index_keeps_a_crawl_state_but_a_warc_replay_does_not() -> None:
    es = EsConnection("http://127.0.0.1:9")
    config = IngestConfig(es=es, state_index="news-state", recheck_age=60.0)
    assert config.state == StateSettings(es, "news-state", 60.0, config.es_retry, 30 * 86400.0)
    assert replace(config, state_retention=0.0).state.retention is None  # kept for ever
    assert replace(config, warc=True).state is None
    assert IngestConfig().state is None


def test_sinks_roll_over_only_where_the_cluster_does_not() -> None:
    sizing = Sizing(shards=2)
    assert IngestConfig(sizing=sizing).rollover == sizing
    assert IngestConfig(sizing=sizing, roll_over=False).rollover == replace(
        sizing, check_every=None)
