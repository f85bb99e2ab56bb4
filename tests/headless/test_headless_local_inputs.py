"""Local inputs are read only if they are regular files, and whole-file reads have a cap: a FIFO
would block (Ctrl-C with it), ``/dev/zero`` never ends, a huge grader fills memory."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support.cli import Run

from ftmon.config import ConfigError, load_settings
from ftmon.localread import SMALL_FILE_CAP, LocalInputError, read_text_capped, regular_file

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    os.mkfifo(path)
    return path


def test_a_fifo_or_a_device_is_refused_without_reading(fifo: Path) -> None:
    for path in (fifo, Path("/dev/zero"), fifo.parent):
        with pytest.raises(LocalInputError, match="not a regular file"):
            regular_file(path)


def test_a_whole_file_read_stops_at_its_cap(tmp_path: Path) -> None:
    big = tmp_path / "grader.json"
    big.write_bytes(b" " * (SMALL_FILE_CAP + 1))
    with pytest.raises(LocalInputError, match="larger than 1,024 KiB"):
        read_text_capped(big)
    big.write_bytes(b"{}")
    assert read_text_capped(big) == "{}"


@pytest.mark.parametrize("config", ["/dev/zero", "fifo"])
def test_a_config_that_is_no_file_is_a_settings_error(fifo: Path, config: str) -> None:
    path = fifo if config == "fifo" else Path(config)
    start = time.monotonic()
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings(config_path=path, env={})
    assert time.monotonic() - start < 2


def test_files_check_and_upload_refuse_a_fifo_at_once(cli, fifo: Path) -> None:  # type: ignore[no-untyped-def]
    for argv in (("files", "check", str(fifo)), ("files", "upload", str(fifo), "--no-check")):
        start = time.monotonic()
        run: Run = cli(*argv)
        assert time.monotonic() - start < 5, argv
        assert run.code == 2, (argv, run.err)
        assert "not a regular file" in run.err and "Traceback" not in run.err


def test_grader_validate_refuses_dev_zero(cli) -> None:  # type: ignore[no-untyped-def]
    run: Run = cli("grader", "validate", "/dev/zero")
    assert run.code == 2
    assert "not a regular file" in run.err
