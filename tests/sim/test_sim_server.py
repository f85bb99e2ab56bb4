"""Serving over TCP: ``python -m ftmon.sim``, the thread helper, the loopback guard."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from support.simkit import TEST_KEY

from ftmon.sim.server import SimServerError, is_loopback, run_sim, start_sim_in_thread


def test_module_prints_its_url_first(tmp_path: object) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ftmon.sim", "--port", "0", "--speed", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:") and first.endswith("/v1")
        port = int(first.rsplit(":", 1)[1].split("/")[0])
        assert port > 0
        for _ in range(100):  # the URL is printed before uvicorn finishes starting
            try:
                response = httpx.get(
                    f"{first}/fine_tuning/jobs", headers={"Authorization": f"Bearer {TEST_KEY}"}
                )
                break
            except httpx.ConnectError:
                import time

                time.sleep(0.05)
        assert response.status_code == 200 and len(response.json()["data"]) == 15
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()


def test_module_refuses_a_remote_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ftmon.sim", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "non-loopback" in result.stderr


def test_run_sim_refuses_a_remote_host() -> None:
    with pytest.raises(SimServerError):
        run_sim(host="0.0.0.0", port=0)


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
    assert not any(is_loopback(h) for h in ["0.0.0.0", "10.0.0.1", "example.com", "::"])


def test_start_in_thread_and_stop() -> None:
    base_url, stop = start_sim_in_thread(speed=0, scenario="empty")
    try:
        response = httpx.get(f"{base_url}/fine_tuning/jobs", headers={"api-key": "k"})
        assert response.json() == {"object": "list", "data": [], "has_more": False}
    finally:
        stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/fine_tuning/jobs", headers={"api-key": "k"}, timeout=2)
