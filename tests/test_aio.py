"""A cancellation that lands as the awaited answer arrives must still cancel (Ctrl-C works)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from ftmon.aio import wait_within


async def test_a_cancel_in_the_moment_the_answer_arrives_is_not_lost() -> None:
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(wait_within(answer, 10))
    await asyncio.sleep(0)  # the task now waits for the answer
    answer.set_result("done")
    task.cancel()  # the same moment: asyncio.wait_for (3.11) would return "done" here
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for was fixed in Python 3.12")
async def test_wait_for_loses_that_cancel_which_is_why_wait_within_exists() -> None:
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(asyncio.wait_for(answer, 10))
    await asyncio.sleep(0)
    answer.set_result("done")
    task.cancel()
    assert await task == "done"


async def test_a_slow_answer_times_out() -> None:
    never: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError):
        await wait_within(never, 0.01)
