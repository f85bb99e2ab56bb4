"""A simulated OpenAI fine-tuning API: seeded world, accelerated clock, faults on demand.

No Textual here: the simulator shares only ``ftmon.api.models``' view of the wire format and is
otherwise an independent server-side implementation, which makes it a real check on the client.
"""

from ftmon.sim.app import create_app
from ftmon.sim.clock import SimClock
from ftmon.sim.server import run_sim, running_sim, start_sim_in_thread
from ftmon.sim.transport import sim_transport
from ftmon.sim.world import BIG_EVENTS_JOB_ID, BIG_REWARDS_JOB_ID, SCENARIOS, SimWorld

__all__ = [
    "BIG_EVENTS_JOB_ID",
    "BIG_REWARDS_JOB_ID",
    "SCENARIOS",
    "SimClock",
    "SimWorld",
    "create_app",
    "run_sim",
    "running_sim",
    "sim_transport",
    "start_sim_in_thread",
]
