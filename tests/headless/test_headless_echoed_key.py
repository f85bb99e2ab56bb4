"""A key that a server echoes back inside API data is blanked in every output, as in exports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.cli import Sim
from support.simkit import TEST_KEY

from ftmon import text


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    yield
    text.set_secrets(())  # the registry is the process's: leave it as found


def test_show_jobs_and_json_blank_a_key_inside_the_data(cli, sim: Sim) -> None:  # type: ignore[no-untyped-def]
    job = sim.world.add_job({"suffix": "leak", "metadata": {"note": f"echo {TEST_KEY} back"}})
    for argv in (("show", job["id"]), ("show", job["id"], "--json"), ("jobs", "--json")):
        run = cli(*argv)
        assert run.code == 0, argv
        assert TEST_KEY not in run.out and TEST_KEY not in run.err, argv
        assert "echo **** back" in run.out, argv


def test_clean_blanks_a_registered_key_even_split_by_controls() -> None:
    text.set_secrets(["sk-proj-ABCDEFGH12345678", "short"])
    assert text.clean("key sk-proj-ABCDEFGH12345678!") == "key ****!"
    assert text.one_line("sk-proj-ABCD\x1bEFGH12345678") == "****"
    assert text.clean("short words stay") == "short words stay"  # too short to look for
    text.set_secrets(())
    assert text.clean("sk-proj-ABCDEFGH12345678") == "sk-proj-ABCDEFGH12345678"
