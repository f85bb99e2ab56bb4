"""``[[alerts]]`` in the config file: read into Settings, checked table by table, URLs hidden."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from ftmon.config import DEFAULT_ALERT_EVENTS, ConfigError, Settings, load_settings, mask_url

HOOK_TOKEN = "T0FAKE/B0FAKE/SlackPathTokenXyz0123456789"
SLACK = f"https://hooks.slack.com/services/{HOOK_TOKEN}"


def load(tmp_path: Path, text: str, *, profile: str | None = None, mode: int = 0o600) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return load_settings(config_path=path, env={}, profile=profile)


def test_alerts_at_the_top_level_are_read_in_order(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        f"""
[[alerts]]
kind = "slack"
url = "{SLACK}"
on = ["succeeded", "failed", "checkpoint"]

[[alerts]]
kind = "ntfy"
url = "https://ntfy.example.invalid/ft-topic-secret"
token = "tk_abcdefghijklmnop"
name = "phone"

[[alerts]]
kind = "command"
command = ["notify-send", "ftmon"]
""",
    )
    slack, ntfy, command = settings.alerts
    assert slack.kind == "slack" and slack.url is not None and slack.url.reveal() == SLACK
    assert slack.on == ("succeeded", "failed", "checkpoint")
    assert ntfy.token is not None and ntfy.token.reveal() == "tk_abcdefghijklmnop"
    assert ntfy.on == DEFAULT_ALERT_EVENTS and ntfy.name == "phone"
    assert command.command == ("notify-send", "ftmon") and command.url is None
    assert slack.where.endswith("[[alerts]] #1") and command.where.endswith("[[alerts]] #3")


def test_no_alerts_by_default(tmp_path: Path) -> None:
    assert load(tmp_path, "interval = 5\n").alerts == ()
    assert Settings().alerts == ()


def test_a_profiles_alerts_replace_the_top_levels_and_an_empty_list_turns_them_off(
    tmp_path: Path,
) -> None:
    text = f"""
[[alerts]]
kind = "slack"
url = "{SLACK}"

[profiles.work]
interval = 3

[[profiles.work.alerts]]
kind = "discord"
url = "https://discord.com/api/webhooks/123/DiscordPathToken"
on = ["best_checkpoint"]

[profiles.quiet]
alerts = []

[profiles.plain]
interval = 4
"""
    assert [a.kind for a in load(tmp_path, text).alerts] == ["slack"]
    work = load(tmp_path, text, profile="work")
    assert [a.kind for a in work.alerts] == ["discord"] and work.interval == 3
    assert "[[profiles.work.alerts]] #1" in work.alerts[0].where
    assert load(tmp_path, text, profile="quiet").alerts == ()
    assert [a.kind for a in load(tmp_path, text, profile="plain").alerts] == ["slack"]


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('kind = "email"\nurl = "https://x.invalid/"', "#2: kind must be one of webhook, slack"),
        ('kind = "slack"', "#2: a slack alert needs url"),
        ('kind = "slack"\nurl = "ftp://x.invalid/a"', "#2: url must be an http:// or https://"),
        ('kind = "slack"\nurl = "https://u:p@x.invalid/a"', "#2: url must not hold a user name"),
        ('kind = "slack"\nurl = "https://x.invalid:99999/a"', "#2: url is not a valid URL"),
        ('kind = "webhook"\nurl = "https://x.invalid/a"\non = ["finished"]', "#2: on must be"),
        ('kind = "webhook"\nurl = "https://x.invalid/a"\non = []', "#2: on must be"),
        ('kind = "webhook"\nurl = "https://x.invalid/a"\nretries = 3', "unknown setting 'retries'"),
        ('kind = "slack"\nurl = "https://x.invalid/a"\ntoken = "tk_x"', "only an ntfy alert"),
        ('kind = "command"\ncommand = "notify-send ftmon"', "#2: command must be a list"),
        ('kind = "command"\ncommand = []', "#2: command must be a list"),
        ('kind = "command"\ncommand = ["x"]\nurl = "https://x.invalid/"', "takes no url"),
        ('kind = "slack"\nurl = "https://x.invalid/a"\ncommand = ["x"]', "only a command alert"),
    ],
)
def test_every_problem_names_its_table(tmp_path: Path, table: str, says: str) -> None:
    text = f'[[alerts]]\nkind = "slack"\nurl = "{SLACK}"\n\n[[alerts]]\n{table}\n'
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert "[[alerts]] #2" in message and says in message
    assert HOOK_TOKEN not in message


def test_alerts_that_are_not_an_array_of_tables(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"alerts must be an array of tables"):
        load(tmp_path, 'alerts = "slack"\n')
    with pytest.raises(ConfigError, match=r"\[\[alerts\]\] #1: must be a table"):
        load(tmp_path, "alerts = [1]\n")


def test_a_bad_url_is_never_quoted_back(tmp_path: Path) -> None:
    secret = "https://hooks.slack.com/services/T0/B0/Sekrit Token With Spaces"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f'[[alerts]]\nkind = "slack"\nurl = "{secret}"\n')
    assert "Sekrit" not in str(caught.value)


def test_the_url_is_a_secret_everywhere_it_could_show(tmp_path: Path) -> None:
    settings = load(tmp_path, f'[[alerts]]\nkind = "slack"\nurl = "{SLACK}"\n')
    (spec,) = settings.alerts
    for shown in (repr(spec), str(spec), spec.describe(), repr(settings), str(spec.url)):
        assert HOOK_TOKEN not in shown and "T0FAKE" not in shown
    assert "https://hooks.slack.com/…" in spec.describe()
    assert mask_url(SLACK) == "https://hooks.slack.com/…"
    assert mask_url("http://127.0.0.1:8080/topic") == "http://127.0.0.1:8080/…"


def test_a_readable_file_with_a_webhook_url_is_warned_about(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"holds an alert's webhook URL or token"):
        load(tmp_path, f'[[alerts]]\nkind = "slack"\nurl = "{SLACK}"\n', mode=0o644)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(tmp_path, '[[alerts]]\nkind = "command"\ncommand = ["true"]\n', mode=0o644)


def test_cleartext_to_another_host_is_warned_about_unless_trusted(tmp_path: Path) -> None:
    text = '[[alerts]]\nkind = "ntfy"\nurl = "http://ntfy.lan.invalid/topic"\n'
    with pytest.warns(UserWarning, match=r"\[\[alerts\]\] #1: the alert's URL is http://"):
        load(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(tmp_path, "allow_insecure_http = true\n" + text)
        load(tmp_path, '[[alerts]]\nkind = "ntfy"\nurl = "http://127.0.0.1:9/topic"\n')
