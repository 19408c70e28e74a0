"""newswire's tests; the folders mirror the package's rooms.

This package runs before any test module and before `conftest.py`, so it holds log records
as the command does (`logs.hold()`), before anything imports Beam: Beam's import-time warning
would otherwise install a stderr handler bound to the stream pytest captures, and Beam's job
servers, stopped at exit, would log to it once closed.
"""

from pathlib import Path

from newswire.pipeline import logs

REPO = Path(__file__).resolve().parent.parent  # the checkout the tests run from

logs.hold()
