"""When the stall and queue doctor (``ftmon.monitor.doctor``) flags a job: its thresholds.

A value of its own, below everything, so that the settings (``[doctor]`` in the config file,
:attr:`ftmon.config.Settings.doctor`) can hold it without importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """When a job is flagged; the config's ``[doctor]`` table may change them."""

    #: Stalled: no new step for this many times the usual step time...
    stall_factor: float = 5.0
    #: ...and never sooner than this many seconds.
    stall_min_seconds: float = 300.0
    #: Long queue: in the queue for longer than this many seconds.
    queue_seconds: float = 3600.0


#: The thresholds when the config sets none.
DEFAULT_THRESHOLDS = Thresholds()
