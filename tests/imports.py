"""What importing a module loads, asked of a fresh interpreter (this one has loaded everything)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("apache_beam", "elasticsearch", "pyarrow", "numpy", "urllib3")
"""Packages the settings and the options must load without."""

_PROBE = """
import json, sys
import {module}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({roots}))))
"""


def heavy_loaded(module: str, roots: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of the top-level packages `roots` importing `module` loads."""
    done = subprocess.run([sys.executable, "-c", _PROBE.format(module=module, roots=list(roots))],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)
