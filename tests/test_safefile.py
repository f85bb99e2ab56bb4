"""Files ftmon writes cannot be redirected by a neighbour: no link followed, no foreign folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ftmon.export import _write_all
from ftmon.safefile import UnsafeDirectoryError, prepare_directory, write_text_atomic


def test_a_planted_link_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    out = tmp_path / "ftmon-export-ftjob-1"
    out.mkdir()
    (out / "job.json").symlink_to(victim)
    (out / "events.jsonl").symlink_to(tmp_path / "created-by-a-dangling-link")
    _write_all(out, {"job.json": '{"id": "x"}', "events.jsonl": "{}\n"}, secrets=[])
    assert victim.read_text() == "mine"
    assert not (tmp_path / "created-by-a-dangling-link").exists()
    for name in ("job.json", "events.jsonl"):
        assert not (out / name).is_symlink() and (out / name).is_file()
    assert (out / "job.json").read_text() == '{"id": "x"}'
    assert sorted(p.name for p in out.iterdir()) == ["events.jsonl", "job.json"]  # no temp left


def test_a_directory_that_is_a_link_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.mkdir()
    link = tmp_path / "ftmon-export-ftjob-1"
    link.symlink_to(real)
    with pytest.raises(UnsafeDirectoryError, match="symbolic link"):
        _write_all(link, {"job.json": "{}"}, secrets=[])
    assert list(real.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_someone_else_s_folder_open_to_all_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, 12345, 12345)
    shared.chmod(0o777)
    with pytest.raises(UnsafeDirectoryError, match="belongs to another user"):
        prepare_directory(shared)
    shared.chmod(0o755)  # someone else's, but only they can write: no one can plant a link
    assert prepare_directory(shared) == shared


@pytest.mark.parametrize("name", ["../job.json", "a/b", "..", ".", ""])
def test_only_plain_names_are_written(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        write_text_atomic(tmp_path, name, "x")


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(tmp_path, "bad.txt", "\ud800")
    assert list(tmp_path.iterdir()) == []
