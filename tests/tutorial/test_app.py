"""The hello application, driven through Django's test client (no server, no lab)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings
from hello import metrics

from tests.tutorial.metrics_files import REQUESTS, read_counters


@pytest.fixture()
def client() -> Client:
    return Client()


@pytest.fixture()
def fresh_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[metrics.AppMetrics]:
    """A new, unexported set of counters in place of the process-wide one."""
    fresh = metrics.AppMetrics()
    monkeypatch.setattr(metrics, "METRICS", fresh)
    yield fresh
    fresh.close()


def test_page_shows_version_and_node(client: Client) -> None:
    with override_settings(APP_VERSION="1", NODE_NAME="node2"):
        response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "version 1, served by node2" in html
    assert "Hello from the cluster" in html


def test_version_two_looks_different(client: Client) -> None:
    with override_settings(APP_VERSION="1"):
        v1 = client.get("/").content.decode()
    with override_settings(APP_VERSION="2"):
        v2 = client.get("/").content.decode()
    assert "Hello again, now in green" in v2
    assert "#1e7d46" in v2 and "#1e7d46" not in v1


def test_version_comes_from_the_version_file_by_default(app_dir: Path) -> None:
    from django.conf import settings

    baked = (app_dir / "hello" / "VERSION").read_text().strip()
    assert baked == "1"
    assert baked == settings.APP_VERSION


def test_whoami_is_one_plain_line(client: Client) -> None:
    with override_settings(APP_VERSION="2", NODE_NAME="node3"):
        response = client.get("/whoami")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"version 2 on node3\n"


def test_health_returns_ok(client: Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.content.decode().strip() == "ok"


def test_unknown_host_is_refused(client: Client) -> None:
    response = client.get("/health", HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_counter_counts_every_request(client: Client, fresh_metrics: metrics.AppMetrics) -> None:
    client.get("/")
    client.get("/health")
    client.get("/nowhere")
    assert fresh_metrics.requests._memoryview[0] == 3


def test_exported_metric_files_hold_the_counter(
    client: Client, fresh_metrics: metrics.AppMetrics, tmp_path: Path
) -> None:
    base = tmp_path / "metrics"
    fresh_metrics.export_to(str(base))
    assert read_counters(base) == {REQUESTS: 0}
    for _ in range(5):
        client.get("/health")
    assert read_counters(base) == {REQUESTS: 5}
    meta = Path(f"{base}.meta").read_text()
    assert meta.startswith("counter 8: ") and '"metric": "requests"' in meta


def test_closing_removes_the_exported_files(
    fresh_metrics: metrics.AppMetrics, tmp_path: Path
) -> None:
    base = tmp_path / "metrics"
    fresh_metrics.export_to(str(base))
    fresh_metrics.close()
    assert not Path(f"{base}.meta").exists()
    assert not Path(f"{base}.values").exists()


def test_nothing_is_exported_without_cantal_path(
    fresh_metrics: metrics.AppMetrics, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert metrics.export_from_environment({}) is None
    assert not fresh_metrics.exported
    fresh_metrics.requests.incr()
    assert list(tmp_path.iterdir()) == []
    # cantal.start() would have fallen back to a file in /tmp; nothing is there.
    assert not Path(f"/tmp/cantal.{os.getuid()}.{os.getpid()}.meta").exists()


def test_cantal_path_turns_export_on(fresh_metrics: metrics.AppMetrics, tmp_path: Path) -> None:
    base = tmp_path / "m"
    assert metrics.export_from_environment({"CANTAL_PATH": str(base)}) == str(base)
    assert fresh_metrics.exported
    assert Path(f"{base}.meta").exists()
