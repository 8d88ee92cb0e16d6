"""Moved to `tracker.core.tables`; this name stays until every list declares its own."""

from tracker.core.tables import *  # noqa: F403
from tracker.core.tables import _cell, _shown  # noqa: F401
