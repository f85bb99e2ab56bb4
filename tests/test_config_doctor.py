"""``[doctor]`` in the config file: the stall and queue doctor's thresholds, at the top level,
in ``[default]`` and in a profile (merged key by key), checked with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftmon.config import ConfigError, load_settings
from ftmon.thresholds import Thresholds


def settings_of(tmp_path: Path, text: str, profile: str | None = None) -> Thresholds:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_settings(config_path=path, env={}, profile=profile).doctor


def test_no_table_gives_the_defaults(tmp_path: Path) -> None:
    assert settings_of(tmp_path, "interval = 5\n") == Thresholds()
    assert Thresholds() == Thresholds(5.0, 300.0, 3600.0)


def test_top_level_default_and_profile_merge_key_by_key(tmp_path: Path) -> None:
    text = (
        "[doctor]\nstall_factor = 3\nqueue_minutes = 90\n"
        "[default.doctor]\nstall_min_minutes = 10\n"
        "[profiles.azure-east.doctor]\nqueue_minutes = 240\n"
    )
    assert settings_of(tmp_path, text) == Thresholds(3.0, 600.0, 5400.0)
    assert settings_of(tmp_path, text, "azure-east") == Thresholds(3.0, 600.0, 14_400.0)


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("stall_factor = 0.5", "stall_factor must be a number of usual step times, at least 1"),
        ('stall_factor = "5"', "stall_factor must be"),
        ("stall_factor = true", "stall_factor must be"),
        ("stall_min_minutes = -1", "stall_min_minutes must be a number of minutes, 0 or more"),
        ("queue_minutes = 0", "queue_minutes must be a number of minutes more than 0"),
        ("queue_minutes = nan", "queue_minutes must be"),
        ("stall_minutes = 5", "[doctor] has no setting 'stall_minutes'"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path: Path, table: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_of(tmp_path, f"[doctor]\n{table}\n")
    assert words in str(caught.value)


def test_doctor_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[doctor\] must be a table"):
        settings_of(tmp_path, "doctor = 5\n")
