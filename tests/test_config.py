"""Settings: defaults < file [default] < [profiles.X] < environment < flags; keys stay hidden."""

from __future__ import annotations

import copy
import os
import pickle
import warnings
from pathlib import Path

import pytest

from ftmon.config import (
    DEFAULT_BASE_URL,
    ConfigError,
    Secret,
    Settings,
    default_config_path,
    load_settings,
)

FILE_KEY = "sk-proj-FileKeyAbcdefghij0123456789zz"
ENV_KEY = "sk-proj-EnvKeyKlmnopqrst9876543210yy"
FLAG_KEY = "sk-proj-FlagKeyUvwxyzabcd5555555555xx"
ADMIN = "sk-admin-AdminKeyQrstuvwxyz0000000000ww"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write(
        tmp_path / "config.toml",
        f"""
[default]
api_key = "{FILE_KEY}"
base_url = "https://file-default.test/v1"
interval = 7
timeout = 20
organization = "org-file"

[default.keymap]
cancel_job = "C"
refresh = "r"

[profiles.work]
base_url = "https://work.test/v1/"
interval = 3
project = "proj_work"

[profiles.work.keymap]
refresh = "R"

[profiles.azure]
base_url = "https://res.openai.azure.com/openai/v1"
auth_header = "api-key"
""",
    )


def load(path: Path, *, env: dict[str, str] | None = None, **kwargs) -> Settings:
    return load_settings(config_path=path, env=env or {}, **kwargs)


# -- precedence ----------------------------------------------------------------------------------


def test_defaults_with_no_file_and_no_environment(tmp_path):
    settings = load(tmp_path / "missing.toml")
    assert settings.api_key is None and settings.admin_key is None
    assert settings.base_url == DEFAULT_BASE_URL == "https://api.openai.com/v1"
    assert settings.auth_header == "bearer"
    assert (settings.interval, settings.timeout, settings.max_retries) == (5.0, 30.0, 3)
    assert settings.read_only is False and settings.profile is None
    assert settings.config_path == tmp_path / "missing.toml"


def test_file_default_table_over_defaults(config):
    settings = load(config)
    assert settings.api_key == Secret(FILE_KEY)
    assert settings.base_url == "https://file-default.test/v1"
    assert settings.interval == 7.0 and settings.timeout == 20.0
    assert settings.organization == "org-file" and settings.project is None
    assert settings.keymap == {"cancel_job": "C", "refresh": "r"}


def test_profile_over_file_default(config):
    settings = load(config, profile="work")
    assert settings.profile == "work"
    assert settings.base_url == "https://work.test/v1"  # trailing slash dropped
    assert settings.interval == 3.0
    assert settings.timeout == 20.0  # from [default], untouched by the profile
    assert settings.project == "proj_work"
    assert settings.api_key == Secret(FILE_KEY)
    assert settings.keymap == {"cancel_job": "C", "refresh": "R"}  # merged key by key


def test_environment_over_profile(config):
    env = {
        "OPENAI_API_KEY": ENV_KEY,
        "OPENAI_ADMIN_KEY": ADMIN,
        "OPENAI_BASE_URL": "https://env.test/v1",
        "OPENAI_ORG_ID": "org-env",
        "OPENAI_PROJECT_ID": "proj_env",
    }
    settings = load(config, profile="work", env=env)
    assert settings.api_key == Secret(ENV_KEY)
    assert settings.admin_key == Secret(ADMIN)
    assert settings.base_url == "https://env.test/v1"
    assert settings.organization == "org-env" and settings.project == "proj_env"
    assert settings.interval == 3.0  # not an environment setting: the profile's stands


def test_flags_over_environment(config):
    env = {"OPENAI_API_KEY": ENV_KEY, "OPENAI_BASE_URL": "https://env.test/v1"}
    settings = load(
        config,
        profile="work",
        env=env,
        overrides={
            "api_key": FLAG_KEY,
            "base_url": "http://127.0.0.1:8089/v1",
            "interval": 1.5,
            "auth_header": "api-key",
            "read_only": True,
            "timeout": None,  # a flag not given changes nothing
        },
    )
    assert settings.api_key == Secret(FLAG_KEY)
    assert settings.base_url == "http://127.0.0.1:8089/v1"
    assert settings.interval == 1.5 and settings.timeout == 20.0
    assert settings.auth_header == "api-key" and settings.read_only is True


def test_empty_environment_values_are_ignored(config):
    settings = load(config, env={"OPENAI_API_KEY": "", "OPENAI_BASE_URL": "  "})
    assert settings.api_key == Secret(FILE_KEY)
    assert settings.base_url == "https://file-default.test/v1"


def test_top_level_keys_count_as_default(tmp_path):
    path = write(tmp_path / "c.toml", 'interval = 9\nread_only = true\n[keymap]\nquit = "q"\n')
    settings = load(path)
    assert settings.interval == 9.0 and settings.read_only is True
    assert settings.keymap == {"quit": "q"}


def test_ftmon_profile_environment_picks_the_profile(config):
    assert load(config, env={"FTMON_PROFILE": "azure"}).auth_header == "api-key"
    assert load(config, profile="work", env={"FTMON_PROFILE": "azure"}).profile == "work"


def test_unknown_profile_lists_the_known_ones(config):
    with pytest.raises(ConfigError) as info:
        load(config, profile="staging")
    assert "'staging'" in str(info.value)
    assert "profiles: azure, work" in str(info.value)


def test_unknown_profile_with_no_profiles(tmp_path):
    with pytest.raises(ConfigError, match=r"profiles: none"):
        load(tmp_path / "missing.toml", profile="x")


def test_describe_endpoint_names_profile_and_url_not_key(config):
    settings = load(config, profile="work")
    assert settings.describe_endpoint() == "work · https://work.test/v1"
    assert load(config).describe_endpoint() == "https://file-default.test/v1"


# -- invalid values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('interval = "fast"', "interval must be a number of seconds"),
        ("interval = 0", "interval must be a number of seconds more than 0"),
        ("timeout = -1", "timeout must be a number of seconds more than 0"),
        ('timeout = "nan"', "timeout must be a number"),
        ("interval = inf", "interval must be a number"),
        ("max_retries = -1", "max_retries must be a whole number from 0 to 20"),
        ("max_retries = 2.5", "max_retries"),
        ("max_retries = true", "max_retries"),
        ('auth_header = "basic"', 'auth_header must be "bearer" or "api-key"'),
        ('base_url = "ftp://x/v1"', "base_url must be a URL"),
        ('base_url = "https://"', "base_url must be a URL"),
        ('read_only = "yes"', "read_only must be true or false"),
        ("api_key = 42", "api_key must be a string"),
        ('keymap = "C"', "[keymap] maps action names"),
        ("colour = 1", "unknown setting 'colour'"),
        ("[profile.work]\ninterval = 2", "unknown section 'profile'"),
        ('default = "work"', "[default] must be a table"),
        ('profiles = "work"', "profiles must be tables"),
        ("interval = = 3", "not valid TOML"),
    ],
)
def test_invalid_values_name_the_file_and_setting(tmp_path, toml, words):
    path = write(tmp_path / "c.toml", toml + "\n")
    with pytest.raises(ConfigError) as info:
        load(path, profile="work" if "profiles" in toml else None)
    assert words in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"interval": "soon"}, "--interval: interval must be a number"),
        ({"base_url": "localhost:8089"}, "--base-url: base_url must be a URL"),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_invalid_flags(tmp_path, overrides, words):
    with pytest.raises(ConfigError, match=words):
        load(tmp_path / "missing.toml", overrides=overrides)


def test_invalid_environment_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL: base_url must be a URL"):
        load(tmp_path / "missing.toml", env={"OPENAI_BASE_URL": "api.openai.com"})


def test_max_retries_zero_means_no_retry(tmp_path):
    assert load(write(tmp_path / "c.toml", "max_retries = 0\n")).max_retries == 0


def test_unreadable_config_is_a_clear_error(tmp_path):
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        load(folder)


def test_a_key_read_with_its_newline_is_trimmed(tmp_path):
    settings = load(tmp_path / "m.toml", env={"OPENAI_API_KEY": ENV_KEY + "\n"})
    assert settings.api_key is not None and settings.api_key.reveal() == ENV_KEY


def test_a_key_with_a_space_inside_is_refused_without_showing_it(tmp_path):
    bad = "sk-proj-Half One Half Two 0123456789"
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "m.toml", env={"OPENAI_API_KEY": bad})
    assert "OPENAI_API_KEY" in str(info.value)
    assert "Half" not in str(info.value)


# -- keys stay hidden ------------------------------------------------------------------------------


def test_repr_of_settings_never_shows_a_key(config):
    settings = load(config, env={"OPENAI_ADMIN_KEY": ADMIN})
    for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        assert FILE_KEY not in text and ADMIN not in text
    assert "sk-proj-…zz" in repr(settings)


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("sk-proj-FileKeyAbcdefghij0123456789zz", "sk-proj-…zz"),
        ("sk-admin-AdminKeyQrstuvwxyz0000000000ww", "sk-admin-…ww"),
        ("sk-Abcdefghijklmnopqrstuvwx12", "sk-…12"),
        ("sk-svcacct-Abcdefghijklmnopqrst34", "sk-svcacct-…34"),
        ("0123456789abcdef0123456789abcdef", "…ef"),  # an Azure key: no prefix at all
        ("abcdefghijklm-nopqrstuvwxyz-0123456789", "…89"),  # long segments are not a kind
        ("sk-short", "****"),
        ("", "****"),
    ],
)
def test_secret_masks(key, shown):
    secret = Secret(key)
    assert str(secret) == shown == f"{secret}" == f"{secret}"
    assert repr(secret) == f"Secret({shown!r})"
    assert secret.reveal() == key
    if len(key) > 4:
        assert key not in str(secret) and key not in repr(secret)


def test_secret_cannot_be_pickled_but_copies_are_safe(config):
    settings = load(config)
    with pytest.raises(TypeError):
        pickle.dumps(settings.api_key)
    assert copy.deepcopy(settings) == settings
    assert copy.copy(settings.api_key) is settings.api_key


def test_secret_equality_and_truth():
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert not Secret("") and Secret("x")
    assert len({Secret("a"), Secret("a")}) == 1


# -- the file's permissions ---------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_readable_file_holding_a_key_warns(tmp_path, mode):
    path = write(tmp_path / "c.toml", f'[profiles.x]\napi_key = "{FILE_KEY}"\n', mode)
    with pytest.warns(UserWarning) as record:
        load(path)
    text = str(record[0].message)
    assert "can be read by other users" in text and f"chmod 600 {path}" in text
    assert FILE_KEY not in text


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize(
    ("text", "mode"),
    [(f'api_key = "{FILE_KEY}"\n', 0o600), ("interval = 4\n", 0o644)],
    ids=["private-with-key", "readable-without-key"],
)
def test_no_warning_for_a_private_file_or_one_without_keys(tmp_path, text, mode):
    path = write(tmp_path / "c.toml", text, mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(path)


# -- where the file is -----------------------------------------------------------------------------


def test_default_config_path_is_in_the_platform_config_dir(monkeypatch, tmp_path):
    from platformdirs import user_config_path

    monkeypatch.delenv("FTMON_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = default_config_path()
    assert path == user_config_path("ftmon") / "config.toml"
    assert path.name == "config.toml" and path.parent.name == "ftmon"
    if os.name == "posix" and not str(path).startswith(str(Path.home() / "Library")):
        assert path == tmp_path / "xdg" / "ftmon" / "config.toml"


def test_ftmon_config_names_another_file(monkeypatch, config):
    monkeypatch.setenv("FTMON_CONFIG", str(config))
    assert default_config_path() == config
    settings = load_settings(env={"FTMON_CONFIG": str(config)})
    assert settings.config_path == config
    assert settings.interval == 7.0


def test_ftmon_config_in_the_given_env_wins_over_the_process_env(monkeypatch, config, tmp_path):
    monkeypatch.setenv("FTMON_CONFIG", str(tmp_path / "elsewhere.toml"))
    settings = load_settings(env={"FTMON_CONFIG": str(config)})
    assert settings.config_path == config


def test_explicit_config_path_wins_over_ftmon_config(config, tmp_path):
    settings = load_settings(config_path=config, env={"FTMON_CONFIG": str(tmp_path / "other.toml")})
    assert settings.config_path == config


def test_cli_refuses_a_named_config_file_that_does_not_exist(capsys, tmp_path):
    from ftmon.cli import main

    assert main(["jobs", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "no config file at" in capsys.readouterr().err


def test_cli_prints_the_readable_key_warning_on_stderr(capsys, tmp_path, monkeypatch):
    from ftmon.cli import main

    config = tmp_path / "config.toml"
    config.write_text(
        'api_key = "sk-test-readable-000000000000"\nbase_url = "http://127.0.0.1:9"\n'
    )
    config.chmod(0o644)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    main(["--demo", "jobs", "--config", str(config), "--json"])
    err = capsys.readouterr().err
    assert "ftmon: warning:" in err and "chmod 600" in err
    assert "sk-test-readable" not in err


def test_a_base_url_with_a_password_is_refused_and_never_quoted(tmp_path: Path) -> None:
    """httpx would send user:pass as Basic auth in place of the key, and the header would show
    the password: refused, with a message that does not repeat it."""
    env = {"OPENAI_BASE_URL": "http://user:hunter2@127.0.0.1:8089/v1"}
    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=tmp_path / "none.toml", env=env)
    assert "must not hold a user name or password" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:8089/v1/models@latest"}  # @ in the path is fine
    assert load_settings(config_path=tmp_path / "none.toml", env=env).base_url.endswith("@latest")


@pytest.mark.parametrize("name", ["OPENAI_PROJECT_ID", "OPENAI_ORG_ID"])
def test_an_id_that_cannot_be_a_header_is_a_settings_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="must be printable ASCII without spaces"):
        load_settings(config_path=tmp_path / "none.toml", env={name: "projé_1"})
    ok = load_settings(config_path=tmp_path / "none.toml", env={name: "proj_abc"})
    assert "proj_abc" in (ok.project, ok.organization)


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://ft.internal.example/v1", True),
        ("http://10.0.0.5:8089/v1", True),
        ("https://ft.internal.example/v1", False),
        ("http://127.0.0.1:8089/v1", False),
        ("http://localhost:8089/v1", False),
        ("http://[::1]:8089/v1", False),
    ],
)
def test_a_cleartext_base_url_off_this_machine_is_warned_of(
    tmp_path: Path, url: str, warned: bool
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_settings(config_path=tmp_path / "none.toml", env={"OPENAI_BASE_URL": url})
    said = [str(w.message) for w in caught if "unencrypted" in str(w.message)]
    assert bool(said) is warned
    if warned:
        assert "allow_insecure_http = true" in said[0]


def test_a_trusted_network_can_silence_the_cleartext_warning(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('base_url = "http://ft.internal.example/v1"\nallow_insecure_http = true\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = load_settings(config_path=config, env={})
    assert settings.allow_insecure_http
    assert not [w for w in caught if "unencrypted" in str(w.message)]


# -- the shortest interval ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "overrides", "source"),
    [
        ("", {"interval": 0.2}, "--interval"),
        ("interval = 0.5\n", {}, "c.toml"),
        ("[profiles.fast]\ninterval = 0.1\n[default]\ninterval = 9\n", {}, "[profiles.fast]"),
    ],
)
def test_an_interval_under_a_second_against_a_remote_api_is_refused(
    tmp_path: Path, toml: str, overrides: dict, source: str
) -> None:
    path = write(tmp_path / "c.toml", toml)
    profile = "fast" if "fast" in toml else None
    with pytest.raises(ConfigError) as info:
        load(path, overrides=overrides, profile=profile)
    message = str(info.value)
    assert source in message
    assert "interval must be at least 1 second" in message and "loopback" in message
    remote = {"OPENAI_BASE_URL": "https://ft.example.test/v1"}
    with pytest.raises(ConfigError, match="at least 1 second"):
        load(path, overrides=overrides, profile=profile, env=remote)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8089/v1", "http://localhost:8089/v1", "http://[::1]:8089/v1"]
)
def test_a_short_interval_is_fine_against_this_machine(tmp_path: Path, url: str) -> None:
    settings = load(
        tmp_path / "none.toml", env={"OPENAI_BASE_URL": url}, overrides={"interval": 0.1}
    )
    assert settings.interval == 0.1


def test_a_short_interval_is_fine_with_the_demo(tmp_path: Path) -> None:
    assert load(tmp_path / "none.toml", overrides={"interval": 0.2}, demo=True).interval == 0.2
    assert load(tmp_path / "none.toml", overrides={"interval": 1}).interval == 1.0  # the minimum


def test_the_cli_refuses_a_short_interval_with_exit_2(capsys, tmp_path, monkeypatch) -> None:
    from ftmon.cli import main

    monkeypatch.setenv("FTMON_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert main(["jobs", "--interval", "0.3"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("ftmon: --interval: interval must be at least 1 second")
        and err.count("\n") == 1
    )
    assert main(["--demo", "jobs", "--interval", "0.3", "--json"]) == 0
    capsys.readouterr()


# -- settings that httpx would take and fail on later -----------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8089/v\x01", "spaces or control characters"),
        ("http://exa mple.test/v1", "spaces or control characters"),
        ("https://api.openai.com/v1\u202e", "spaces or control characters"),
        ("http://127.0.0.1:99999/v1", "not a valid URL"),
        ("http://127.0.0.1:0/v1", "not a valid URL"),
        ("http://127.0.0.1:abc/v1", "not a valid URL"),
        ("http://[::1/v1", "not a valid URL"),
        ("http://xn--zz.test/v1", "not a valid URL"),
        ("http:///v1", "names no host"),
        ("https://:443/v1", "names no host"),
        ("https://api.openai.com/" + "v" * 3000, "longer than 2048 characters"),
    ],
)
def test_a_base_url_the_client_cannot_use_is_a_settings_error(
    tmp_path: Path, url: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "none.toml", env={"OPENAI_BASE_URL": url})
    assert str(info.value).startswith("OPENAI_BASE_URL: base_url")
    assert words in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]:8089/v1",
        "https://res.openai.azure.com/openai/v1?api-version=2024-10-21",
        "https://bücher.example/v1",
        "https://api.openai.com:443/v1",
    ],
)
def test_usual_base_urls_still_pass(tmp_path: Path, url: str) -> None:
    assert load(tmp_path / "none.toml", env={"OPENAI_BASE_URL": url}).base_url == url


@pytest.mark.parametrize(
    ("env", "argv"),
    [
        ({"OPENAI_BASE_URL": "http://127.0.0.1:99999/v1"}, ["jobs"]),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:1/v\x01"}, ["jobs"]),
        ({"OPENAI_BASE_URL": "http://[::1/v1"}, ["jobs"]),
        ({"FTMON_CONFIG": "~no-such-user-ftmon/config.toml"}, ["jobs"]),
        ({}, ["jobs", "--config", "c" * 5000]),
    ],
)
def test_odd_settings_are_exit_2_with_one_line(capsys, monkeypatch, tmp_path, env, argv) -> None:
    """Each of these ended in exit 70 ("unexpected error") or a traceback."""
    from ftmon.cli import main

    monkeypatch.setenv("FTMON_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("ftmon: ") and err.count("\n") == 1


def test_a_config_path_is_shown_without_its_escapes(capsys, tmp_path) -> None:
    from ftmon.cli import main

    assert main(["jobs", "--config", str(tmp_path / "\x1b]0;owned\x07.toml")]) == 2
    err = capsys.readouterr().err
    assert "no config file at" in err and "\x1b" not in err and "\x07" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "--speed", "nan", "jobs"],
        ["--demo", "--speed", "-5", "jobs"],
        ["--demo", "--speed", "inf", "jobs"],
        ["sim", "--speed", "nan"],
        ["sim", "--port", "99999"],
        ["sim", "--port", "-1"],
    ],
)
def test_odd_simulator_options_are_usage_errors(capsys, argv) -> None:
    """--demo --speed nan|-5|inf ended in exit 70; ftmon sim --port 99999 in a traceback."""
    from ftmon.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_sim_on_a_remote_host_or_a_busy_port_is_a_usage_error(capsys, tmp_path) -> None:
    import socket
    import subprocess
    import sys

    from ftmon.cli import main

    assert main(["sim", "--host", "10.0.0.1"]) == 2  # refused before any socket
    err = capsys.readouterr().err
    assert err.startswith("ftmon: refusing to serve") and "--allow-remote" in err
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ftmon", "sim", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.startswith(f"ftmon: cannot serve on 127.0.0.1:{port}: ")
    assert "Traceback" not in done.stderr
