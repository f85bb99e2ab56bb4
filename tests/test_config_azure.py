"""Azure OpenAI settings as the official SDK reads them, and never a key for the wrong host.

``provider = "azure"`` (or ``--azure``): the endpoint from ``--base-url`` <
``AZURE_OPENAI_ENDPOINT`` < the profile's ``base_url`` (flags first), the key from
``AZURE_OPENAI_API_KEY`` or the profile, the version from ``--api-version`` <
``OPENAI_API_VERSION`` < ``api_version``; nothing else of ``OPENAI_*``, and nothing of
``AZURE_*`` for OpenAI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ftmon import cli
from ftmon import config as config_module
from ftmon.config import ConfigError, Secret, Settings, azure_base_url, load_settings

AZURE_KEY = "0123456789abcdef0123456789abcdef"
PROFILE_KEY = "fedcba9876543210fedcba9876543210"
OPENAI_KEY = "sk-proj-OpenAIKeyAbcdefghij0123456789"
ADMIN = "sk-admin-AdminKeyQrstuvwxyz0000000000ww"
AD_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.signature"
RES = "https://res.openai.azure.com"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def load(path: Path, *, env: dict[str, str] | None = None, **kwargs) -> Settings:
    return load_settings(config_path=path, env=env or {}, **kwargs)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write(
        tmp_path / "config.toml",
        f"""
[default]
api_key = "{OPENAI_KEY}"
admin_key = "{ADMIN}"
organization = "org-openai"
base_url = "https://api.openai.com/v1"

[profiles.az]
provider = "azure"
base_url = "{RES}/openai"
api_version = "2024-10-21"
api_key = "{PROFILE_KEY}"

[profiles.az-bare]
provider = "azure"

[profiles.az-v1]
provider = "azure"
base_url = "{RES}/openai/v1/"

[profiles.old]
base_url = "{RES}/openai/v1"
api_key = "{PROFILE_KEY}"
auth_header = "api-key"
""",
    )


ALL_ENV = {
    "OPENAI_API_KEY": OPENAI_KEY,
    "OPENAI_ADMIN_KEY": ADMIN,
    "OPENAI_BASE_URL": "https://api.openai.com/v1",
    "OPENAI_ORG_ID": "org-env",
    "OPENAI_PROJECT_ID": "proj_env",
    "AZURE_OPENAI_API_KEY": AZURE_KEY,
    "AZURE_OPENAI_ENDPOINT": "https://env-res.openai.azure.com/",
}


# -- a profile for Azure ---------------------------------------------------------------------------


def test_an_azure_profile_reads_the_azure_names_and_only_those(config):
    settings = load(config, profile="az", env=ALL_ENV)
    assert settings.provider == "azure" and settings.auth_header == "api-key"
    assert settings.api_key == Secret(AZURE_KEY)  # AZURE_OPENAI_API_KEY over the profile's
    # AZURE_OPENAI_ENDPOINT (a bare endpoint) over the profile's base_url; with a version, the
    # dated routes, as the SDK's AzureOpenAI builds them.
    assert settings.base_url == "https://env-res.openai.azure.com/openai?api-version=2024-10-21"
    assert settings.admin_key is None  # neither OPENAI_ADMIN_KEY nor [default]'s
    assert settings.organization is None and settings.project is None


def test_the_profiles_own_values_without_the_environment(config):
    settings = load(config, profile="az")
    assert settings.api_key == Secret(PROFILE_KEY)
    assert settings.base_url == f"{RES}/openai?api-version=2024-10-21"
    assert settings.api_version == "2024-10-21"


def test_an_openai_key_in_the_environment_never_becomes_the_azure_key(config):
    env = {"OPENAI_API_KEY": OPENAI_KEY, "AZURE_OPENAI_ENDPOINT": RES}
    settings = load(config, profile="az-bare", env=env)
    assert settings.api_key is None  # not OPENAI_API_KEY, not [default]'s (an OpenAI table)
    assert settings.base_url == f"{RES}/openai/v1"


def test_an_azure_key_in_the_environment_never_becomes_the_openai_key(config):
    settings = load(config, env=ALL_ENV | {"OPENAI_API_KEY": ""})
    assert settings.provider == "openai"
    assert settings.api_key == Secret(OPENAI_KEY)  # [default]'s, not AZURE_OPENAI_API_KEY
    assert settings.base_url == "https://api.openai.com/v1"
    assert load(config, env=ALL_ENV).api_key == Secret(OPENAI_KEY)


def test_an_azure_tables_key_never_reaches_an_openai_profile(tmp_path):
    path = write(
        tmp_path / "c.toml",
        f"""
[default]
provider = "azure"
base_url = "{RES}/openai/v1"
api_key = "{AZURE_KEY}"
interval = 9

[profiles.openai]
provider = "openai"
""",
    )
    azure = load(path)
    assert azure.provider == "azure" and azure.api_key == Secret(AZURE_KEY)
    openai = load(path, profile="openai")
    assert openai.provider == "openai"
    assert openai.api_key is None and openai.base_url == "https://api.openai.com/v1"
    assert openai.interval == 9.0  # settings that are not connection ones still apply


def test_dash_dash_azure_with_the_openai_default_table_takes_nothing_of_it(config):
    """``[default]`` names no provider: it is OpenAI's, so --azure leaves its key and URL."""
    with pytest.raises(ConfigError) as info:
        load(config, overrides={"provider": "azure"})
    message = str(info.value)
    assert "AZURE_OPENAI_ENDPOINT" in message and "--base-url" in message
    assert '[default] is for OpenAI: add provider = "azure"' in message
    settings = load(config, overrides={"provider": "azure"}, env={"AZURE_OPENAI_ENDPOINT": RES})
    assert settings.api_key is None and settings.base_url == f"{RES}/openai/v1"


def test_dash_dash_azure_with_a_profile_that_names_no_provider(config):
    settings = load(config, profile="old", overrides={"provider": "azure"})
    assert settings.provider == "azure"
    assert settings.api_key == Secret(PROFILE_KEY)
    assert settings.base_url == f"{RES}/openai/v1"


# -- the endpoint and the two kinds of routes ------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "version", "url"),
    [
        (f"{RES}/openai/v1", None, f"{RES}/openai/v1"),
        (f"{RES}/openai/v1/", None, f"{RES}/openai/v1"),
        (f"{RES}/openai/v1", "preview", f"{RES}/openai/v1?api-version=preview"),
        (f"{RES}/openai/v1", "latest", f"{RES}/openai/v1?api-version=latest"),
        (f"{RES}/openai/v1", "2024-10-21", f"{RES}/openai/v1"),  # a date is for dated routes
        (RES, "preview", f"{RES}/openai/v1?api-version=preview"),
        (f"{RES}/openai", "2024-10-21", f"{RES}/openai?api-version=2024-10-21"),
        (f"{RES}/openai?api-version=2024-10-21", None, f"{RES}/openai?api-version=2024-10-21"),
        (
            f"{RES}/openai?api-version=2024-08-01-preview",
            "2025-04-01-preview",
            f"{RES}/openai?api-version=2025-04-01-preview",
        ),
        (RES, None, f"{RES}/openai/v1"),
        (f"{RES}/", None, f"{RES}/openai/v1"),
        (f"{RES}/", "2024-10-21", f"{RES}/openai?api-version=2024-10-21"),
        (
            "https://res.cognitiveservices.azure.com/",
            None,
            "https://res.cognitiveservices.azure.com/openai/v1",
        ),
        (
            "https://gw.example.test/aoai",
            "2024-10-21",
            "https://gw.example.test/aoai?api-version=2024-10-21",
        ),
        ("http://127.0.0.1:8089", None, "http://127.0.0.1:8089/openai/v1"),
    ],
)
def test_azure_base_urls(endpoint, version, url):
    assert azure_base_url(endpoint, version, "test") == url


@pytest.mark.parametrize(
    ("endpoint", "version"),
    [
        (f"{RES}/openai", None),
        (f"{RES}/openai", "preview"),
        (f"{RES}/openai?api-version=latest", None),
    ],
)
def test_the_dated_routes_need_a_date(endpoint, version):
    with pytest.raises(ConfigError, match="need a dated API version"):
        azure_base_url(endpoint, version, "test")


def test_the_dated_routes_without_a_version_are_refused_saying_what_to_set(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "none.toml", overrides={"provider": "azure", "base_url": f"{RES}/openai"})
    message = str(info.value)
    assert message.startswith("--base-url: the dated Azure OpenAI routes")
    for words in ("OPENAI_API_VERSION", "api_version", "--api-version", "openai/v1"):
        assert words in message


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://api.openai.com/v1",
        "https://api.openai.com",
        "https://API.OpenAI.com/openai/v1",
        "https://eu.api.openai.com/v1",
    ],
)
def test_openais_host_is_never_an_azure_endpoint(tmp_path, endpoint):
    for kwargs in (
        {"overrides": {"provider": "azure", "base_url": endpoint}},
        {"overrides": {"provider": "azure"}, "env": {"AZURE_OPENAI_ENDPOINT": endpoint}},
    ):
        with pytest.raises(ConfigError, match="OpenAI's host, not an Azure OpenAI endpoint"):
            load(tmp_path / "none.toml", **kwargs)


def test_no_endpoint_refuses_to_start_and_never_falls_back_to_openai(tmp_path):
    env = {"AZURE_OPENAI_API_KEY": AZURE_KEY, "OPENAI_BASE_URL": "https://api.openai.com/v1"}
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "none.toml", env=env, overrides={"provider": "azure"})
    assert str(info.value) == (
        "Azure OpenAI needs an endpoint: set AZURE_OPENAI_ENDPOINT (like "
        'https://RESOURCE.openai.azure.com), base_url in a profile with provider = "azure", '
        "or --base-url"
    )
    assert AZURE_KEY not in str(info.value)


def test_the_demo_needs_no_endpoint(tmp_path):
    settings = load(tmp_path / "none.toml", overrides={"provider": "azure"}, demo=True)
    assert settings.provider == "azure"


def test_flags_over_environment_over_the_profile(config):
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://env.openai.azure.com",
        "OPENAI_API_VERSION": "2025-01-01",
    }
    settings = load(config, profile="az", env=env)
    assert settings.base_url == "https://env.openai.azure.com/openai?api-version=2025-01-01"
    settings = load(
        config,
        profile="az",
        env=env,
        overrides={"base_url": "https://flag.openai.azure.com/openai", "api_version": "2024-06-01"},
    )
    assert settings.base_url == "https://flag.openai.azure.com/openai?api-version=2024-06-01"
    assert settings.api_version == "2024-06-01"


def test_openai_api_version_is_not_read_for_openai(tmp_path):
    settings = load(tmp_path / "none.toml", env={"OPENAI_API_VERSION": "2024-10-21"})
    assert settings.api_version is None and settings.base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize(
    ("overrides", "toml", "words"),
    [
        (
            {"api_version": "2024-10-21"},
            "",
            "--api-version: api_version is an Azure OpenAI setting",
        ),
        ({"auth": "entra"}, "", "--entra: auth is an Azure OpenAI setting"),
        ({}, 'auth = "entra"', "auth is an Azure OpenAI setting"),
        ({}, '[default]\nprovider = "azure"\nauth = "password"', 'auth must be "key" or "entra"'),
        (
            {"provider": "azure"},
            f'base_url = "{RES}"\napi_version = "2024 10 21"',
            "api_version must be an Azure OpenAI API version",
        ),
        (
            {},
            f'[default]\nprovider = "azure"\nbase_url = "{RES}"\nauth_header = "bearer"',
            'auth_header = "bearer" does not apply to Azure OpenAI',
        ),
        ({}, f'entra_token = "{AD_TOKEN}"', "unknown setting 'entra_token'"),
        ({}, 'provider = "aoai"', 'provider must be "openai" or "azure"'),
    ],
)
def test_odd_azure_settings_are_refused(tmp_path, overrides, toml, words):
    path = write(tmp_path / "c.toml", toml)
    with pytest.raises(ConfigError) as info:
        load(path, overrides=overrides)
    assert words in str(info.value)
    assert AD_TOKEN not in str(info.value)


# -- Entra ID -----------------------------------------------------------------------------------


def test_entra_without_the_extra_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "entra_available", lambda: False)
    path = write(
        tmp_path / "c.toml", f'[default]\nprovider = "azure"\nbase_url = "{RES}"\nauth = "entra"'
    )
    with pytest.raises(ConfigError, match=r"pip install 'ftmon\[azure\]'"):
        load(path)
    with pytest.raises(ConfigError, match=r"--entra: .*pip install 'ftmon\[azure\]'"):
        load(
            tmp_path / "none.toml",
            env={"AZURE_OPENAI_ENDPOINT": RES},
            overrides={"provider": "azure", "auth": "entra"},
        )


def test_entra_with_the_extra(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "entra_available", lambda: True)
    settings = load(
        tmp_path / "none.toml",
        env={"AZURE_OPENAI_ENDPOINT": RES, "AZURE_OPENAI_API_KEY": AZURE_KEY},
        overrides={"provider": "azure", "auth": "entra"},
    )
    assert settings.auth == "entra" and settings.base_url == f"{RES}/openai/v1"


def test_entra_available_tells_without_importing():
    assert isinstance(config_module.entra_available(), bool)


def test_the_static_token_comes_from_the_environment_only_and_never_shows(tmp_path):
    env = {"AZURE_OPENAI_ENDPOINT": RES, "AZURE_OPENAI_AD_TOKEN": AD_TOKEN}
    settings = load(tmp_path / "none.toml", env=env, overrides={"provider": "azure"})
    assert settings.entra_token == Secret(AD_TOKEN)
    assert AD_TOKEN not in repr(settings) and AD_TOKEN not in settings.describe_endpoint()
    # Not read for OpenAI.
    assert load(tmp_path / "none.toml", env=env).entra_token is None


# -- the command --------------------------------------------------------------------------------


def test_ftmon_azure_with_no_endpoint_exits_2_saying_what_to_set(capsys, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    assert cli.main(["--azure", "jobs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ftmon: Azure OpenAI needs an endpoint: set AZURE_OPENAI_ENDPOINT")
    assert AZURE_KEY not in err and OPENAI_KEY not in err


def test_ftmon_azure_refuses_openais_host(capsys, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    assert cli.main(["--azure", "--base-url", "https://api.openai.com/v1", "jobs"]) == 2
    assert "OpenAI's host, not an Azure OpenAI endpoint" in capsys.readouterr().err


def test_ftmon_help_mentions_azure(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "Azure OpenAI" in out and "--entra" in out and "--api-version" in out
    assert "AZURE_OPENAI_ENDPOINT" in out


# -- credentials, as a front end checks them before it starts -----------------------------------


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({}, "no API key: set OPENAI_API_KEY"),
        ({"api_key": Secret(OPENAI_KEY)}, None),
        ({"provider": "azure"}, "no Azure OpenAI credentials: set AZURE_OPENAI_API_KEY"),
        ({"provider": "azure", "api_key": Secret(AZURE_KEY)}, None),
        ({"provider": "azure", "auth": "entra"}, None),  # Entra ID needs no key
        ({"provider": "azure", "entra_token": Secret(AD_TOKEN)}, None),
        # An Azure token is no OpenAI credential.
        ({"entra_token": Secret(AD_TOKEN)}, "no API key"),
    ],
)
def test_missing_credentials_says_what_to_set(values, missing):
    said = Settings(**values).missing_credentials()
    if missing is None:
        assert said is None
    else:
        assert said is not None and said.startswith(missing)
        assert AZURE_KEY not in said and AD_TOKEN not in said
