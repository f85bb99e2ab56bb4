"""Answering a confirmation as a person does: wait until it shows, move to the action, enter.

A dialog drops keys typed before it was on show (:mod:`ftmon.tui.keygate`), so a test that
answers must first wait for it to be drawn, as a person reads it before answering.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from ftmon.tui.screens.confirm import ConfirmScreen


async def wait_shown(pilot: Pilot[Any], *, rounds: int = 200) -> ConfirmScreen:
    """The dialog on top, once it has been drawn (so it takes keys)."""
    for _ in range(rounds):
        screen = pilot.app.screen
        if isinstance(screen, ConfirmScreen) and screen.shown_at is not None:
            return screen
        await pilot.pause(0.01)
    raise AssertionError(f"no confirmation showed; the screen is {pilot.app.screen!r}")


async def confirm(pilot: Pilot[Any]) -> None:
    """Answer the dialog on top with its action's button (right, then enter)."""
    await wait_shown(pilot)
    await pilot.press("right", "enter")
    await pilot.pause()


async def decline(pilot: Pilot[Any]) -> None:
    """Answer with the safe button, which has focus (enter)."""
    await wait_shown(pilot)
    await pilot.press("enter")
    await pilot.pause()
