"""Test-only: moves the clock of a scheduler process (`flask … scheduler`, `flask … scan`)
to TRACKER_TEST_CLOCK when tests/deploy/ puts this directory on PYTHONPATH. Web servers
keep the real clock (gunicorn's worker heartbeats compare file times with it)."""

import os
import sys
from pathlib import Path

_when = os.environ.get("TRACKER_TEST_CLOCK")
if _when and Path(sys.argv[0]).name == "flask" and {"scheduler", "scan"} & set(sys.argv[1:]):
    import time_machine

    time_machine.travel(_when, tick=True).start()
