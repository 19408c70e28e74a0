"""The step names a Beam graph holds, for tests of what a job's graph is made of."""

from __future__ import annotations

import apache_beam as beam


def step_names(pipeline: beam.Pipeline, under: str) -> set[str]:
    """The full names of every step inside the composite `under`, without its prefix."""
    prefix = f"{under}/"
    transforms = pipeline.to_runner_api().components.transforms.values()
    return {t.unique_name.removeprefix(prefix) for t in transforms
            if t.unique_name.startswith(prefix)}


def top(names: set[str]) -> set[str]:
    """The steps of the composite itself, not the steps inside them."""
    return {name for name in names if "/" not in name}
