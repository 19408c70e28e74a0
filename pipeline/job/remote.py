"""Following a job that runs elsewhere: Dataflow, or a Beam dry run that only builds the job.

A local run waits for its job and reads the summary from its metrics. A job submitted to
Dataflow runs in Google Cloud instead: `follow` prints its id and console link, leaves a
streaming job running (it is stopped with `gcloud dataflow jobs drain` or `cancel`), and waits
for a batch job to print the summary from the metrics Dataflow reports. With `--dry_run True`
Beam translates the pipeline into the Dataflow job and submits nothing; `follow` prints what
was built, so the translation can be checked without credentials or network.

A Flex Template launch runs newswire with `--template_location`: Beam then only writes the job
file there and returns a result with no job, and the launcher submits the job itself; `follow`
says where the file went and returns at once, batch or streaming (a launcher must not wait).
"""

from __future__ import annotations

from collections.abc import Callable

from apache_beam.options.pipeline_options import (
    GoogleCloudOptions,
    PipelineOptions,
    StandardOptions,
    TestOptions,
)
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.runners.runner import PipelineResult, PipelineState

from newswire.pipeline.job.summary import summarize

# Beam's own name for the Dataflow runner and the names it accepts for it.
_DATAFLOW_RUNNERS = {"dataflow", "dataflowrunner"}


def is_dry_run(options: PipelineOptions) -> bool:
    """`--dry_run True`: the runner builds the job and submits nothing."""
    return bool(options.view_as(TestOptions).dry_run)


def is_remote(options: PipelineOptions) -> bool:
    """The job runs on Google Cloud (or is only built, in a dry run), not beside newswire."""
    runner = options.view_as(StandardOptions).runner or ""
    return runner.lower() in _DATAFLOW_RUNNERS or is_dry_run(options)


def console_url(options: PipelineOptions, job_id: str) -> str:
    cloud = options.view_as(GoogleCloudOptions)
    return (f"https://console.cloud.google.com/dataflow/jobs/{cloud.region}/{job_id}"
            f"?project={cloud.project}")


def follow(result: PipelineResult, options: PipelineOptions,
           say: Callable[[str], None] = print) -> int:
    """Report a submitted (or only built) job; for batch, wait and print its summary.

    Returns the exit code: 0 when done (or submitted, for streaming), 2 when the batch counts do
    not add up, 1 when the job failed.
    """
    if is_dry_run(options):
        say(describe_built_job(result))
        return 0
    if template := options.view_as(GoogleCloudOptions).template_location:
        say(f"wrote the Dataflow job file {template}: the template launcher submits it")
        return 0
    job_id = result.job_id()
    say(f"submitted job {job_id}: {console_url(options, job_id)}")
    if options.view_as(StandardOptions).streaming:
        region = options.view_as(GoogleCloudOptions).region
        say(f"the job runs until stopped: gcloud dataflow jobs drain {job_id} --region {region}")
        return 0
    # imported here: outside a Dataflow run the module only warns about missing GCP libraries
    from apache_beam.runners.dataflow.dataflow_runner import DataflowRuntimeException

    say("waiting for the batch job to finish ...")
    try:
        state = result.wait_until_finish()
    except DataflowRuntimeException as error:
        say(f"job {job_id} failed: {str(error).splitlines()[0]}")
        return 1
    metrics = result.metrics()
    if metrics is None:
        say(f"job {job_id} ended {state}; the runner reported no metrics")
        return 0 if state == PipelineState.DONE else 1
    summary = summarize(result)
    say(summary.render())
    return 0 if summary.balanced else 2


def describe_built_job(result: PipelineResult) -> str:
    """What a dry run built: the job's name and type, its environment and its top-level steps."""
    job = getattr(result, "job", None)
    if job is None:
        return "dry run: the runner built no job to show"
    pipeline = job.proto_pipeline
    transforms = pipeline.components.transforms
    roots = [transforms[name].unique_name for name in pipeline.root_transform_ids]
    steps = [transforms[child].unique_name for root in pipeline.root_transform_ids
             for child in transforms[root].subtransforms] or roots
    images = sorted({_container_image(env.payload)
                     for env in pipeline.components.environments.values()})
    return "\n".join([
        f"dry run: built Dataflow job {job.proto.name} ({job.proto.type_.name}), not submitted",
        f"  {len(transforms)} transforms; top-level steps: {', '.join(steps)}",
        f"  worker image: {', '.join(images)}",
    ])


def _container_image(payload: bytes) -> str:
    return beam_runner_api_pb2.DockerPayload.FromString(payload).container_image or "(none)"
