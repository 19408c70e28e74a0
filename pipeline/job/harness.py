"""Entry point of the local batch runner's worker processes: Beam's SDK harness, whose log
records leave only through the runner.

Beam's own entry point (`python -m apache_beam.runners.worker.sdk_worker_main`) logs a warning
while Beam is imported, before the harness has set up its Fn API log handler; with no handler on
the root logger that call installs a stderr handler (`logging.basicConfig`). Every record of the
worker was then printed twice: on the worker's stderr, and by the runner that receives it over
the Fn API. A NullHandler first leaves the harness's handler the only way out.
"""

from __future__ import annotations

import logging
import sys


def main() -> None:
    logging.getLogger().addHandler(logging.NullHandler())
    from apache_beam.runners.worker import sdk_worker_main  # after the handler: see above

    sdk_worker_main.main(sys.argv)


if __name__ == "__main__":
    main()
