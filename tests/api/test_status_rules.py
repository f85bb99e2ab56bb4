"""The status rules: one table per provider says which actions the API accepts."""

from __future__ import annotations

import pytest

from ftmon.api.status_rules import AZURE, OPENAI, rules_for


@pytest.mark.parametrize(
    ("status", "cancel", "pause", "resume"),
    [
        ("validating_files", True, False, False),
        ("queued", True, False, False),
        ("running", True, True, False),
        ("RUNNING", True, True, False),
        ("pausing", True, False, False),
        ("paused", True, False, True),
        ("succeeded", False, False, False),
        ("failed", False, False, False),
        ("canceled", False, False, False),
        ("brand_new_status", False, False, False),
        (None, False, False, False),
    ],
)
def test_openai_offers_only_what_its_api_accepts(
    status: str | None, cancel: bool, pause: bool, resume: bool
) -> None:
    assert OPENAI.allows("cancel", status) is cancel
    assert OPENAI.allows("pause", status) is pause
    assert OPENAI.allows("resume", status) is resume


def test_refusals_say_why_in_words() -> None:
    assert (
        OPENAI.refusal("pause", "queued") == "OpenAI pauses only running jobs; this one is queued"
    )
    assert OPENAI.refusal("cancel", "succeeded") == "the job has already succeeded"
    assert OPENAI.refusal("resume", "running") == (
        "only a paused job can be resumed; this one is running"
    )
    assert OPENAI.refusal("pause", "running") is None


def test_azure_knows_its_statuses_and_pauses_only_after_a_step() -> None:
    for status in ("created", "pending", "resuming"):
        assert AZURE.allows("cancel", status)
    assert not OPENAI.allows("cancel", "created") and not OPENAI.allows("cancel", "resuming")
    assert AZURE.allows("pause", "running", steps_done=1)
    assert not AZURE.allows("pause", "running", steps_done=0)
    assert AZURE.refusal("pause", "running", steps_done=0) == (
        "Azure OpenAI pauses a job only after it has trained a step"
    )
    assert AZURE.allows("pause", "running")  # unknown progress: the API judges


def test_the_no_of_a_dialog_says_what_it_keeps() -> None:
    assert OPENAI.keep_label("paused") == "Keep it paused"
    assert OPENAI.keep_label("running") == "Keep it running"
    assert OPENAI.keep_label("validating_files") == "Keep it validating"
    assert OPENAI.keep_label("weird") == "Keep the job as it is"


@pytest.mark.parametrize(
    ("base_url", "header", "provider"),
    [
        ("https://api.openai.com/v1", "bearer", "openai"),
        ("http://127.0.0.1:8089/v1", "bearer", "openai"),
        ("https://myres.openai.azure.com/openai/v1", "bearer", "azure"),
        ("https://myres.cognitiveservices.azure.com/openai/v1", "bearer", "azure"),
        ("http://127.0.0.1:8089/openai/v1", "api-key", "azure"),
        ("https://evil.example/openai.azure.com/v1", "bearer", "openai"),
    ],
)
def test_the_provider_is_told_by_host_or_header(base_url: str, header: str, provider: str) -> None:
    assert rules_for(base_url, header).provider == provider


def test_each_provider_lists_its_statuses_in_the_order_a_job_meets_them() -> None:
    assert OPENAI.statuses() == [
        "pending",
        "validating_files",
        "queued",
        "running",
        "pausing",
        "paused",
        "succeeded",
        "failed",
        "cancelled",
    ]
    # Azure's own statuses take their places in the lifecycle, not the end.
    assert AZURE.statuses()[:4] == ["created", "pending", "validating_files", "queued"]
    assert AZURE.statuses().index("resuming") == AZURE.statuses().index("paused") + 1
