"""The `newswire` command starts extraction's forkserver early only for a local batch run."""

from __future__ import annotations

import pytest

from newswire.pipeline.command import runs_locally_in_batch


@pytest.mark.parametrize(("argv", "local_batch"), [
    (["run"], True),
    (["run", "--feeds", "feeds.txt", "-v"], True),
    (["run", "--streaming"], False),
    (["run", "--runner", "flink"], False),
    (["run", "--runner=DataflowRunner"], False),
    (["run", "--direct_num_workers", "2"], False),
    (["run", "--direct-running-mode=multi_processing"], False),
    (["search", "harbour"], False),
    ([], False),
])
def test_only_a_local_batch_run_starts_the_forkserver_early(argv: list[str],
                                                           local_batch: bool) -> None:
    assert runs_locally_in_batch(argv) == local_batch
