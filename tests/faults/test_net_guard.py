"""The address guard against URL tricks, redirects and DNS rebinding, inside a network namespace.

The cases (netns_guard_cases.py) would, if the guard failed, connect to an internal service or
to a public address; they run in a network namespace this test makes (`unshare -n`, then
`lo` up with a public address added to it), so nothing can leave the machine either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.loopback import namespace_command

CASES = Path(__file__).with_name("netns_guard_cases.py")
PUBLIC = "93.184.216.34"  # global, so the guard lets it through; exists only inside the namespace


def test_the_guard_holds_inside_a_network_namespace() -> None:
    script = (f"ip link set lo up && ip addr add {PUBLIC}/32 dev lo && "
              f"exec {sys.executable} -m pytest -q -p no:cacheprovider {CASES}")
    result = subprocess.run(
        [*namespace_command(), "sh", "-c", script], capture_output=True, text=True, timeout=120,
        cwd=CASES.parents[2], env={**os.environ, "NEWSWIRE_NETNS_PUBLIC": PUBLIC})
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
