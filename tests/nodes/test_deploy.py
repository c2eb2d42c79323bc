"""The deployment as shipped (deploy/): the gunicorn settings `make run` uses, the compose
file and the systemd units, checked by the tools that read them."""

import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"


def test_make_run_starts_gunicorn_with_the_shipped_settings():
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"gunicorn urbanmgmt\.wsgi:application --config deploy/gunicorn\.conf\.py", recipe)


def test_workers_are_recycled_at_staggered_counts(monkeypatch):
    for name in ("GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "9123")
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert config["max_requests"] >= 100 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["bind"] == "127.0.0.1:9123" and config["preload_app"] is True and config["threads"] == 4


def test_the_compose_file_runs_every_part_on_one_database():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgis", "redis", "migrate", "web", "tasks", "video", "nginx"} <= set(services)
    assert "deploy/gunicorn.conf.py" in services["web"]["command"]
    assert services["tasks"]["command"][-1] == "tasks_worker"
    for name in ("migrate", "web", "tasks", "video"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
        assert {"media:/srv/media", "var:/srv/var"} <= set(services[name]["volumes"]) or name == "video"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_verify(tmp_path):
    # The units name /srv/urbanmgmt; verified here against this checkout, whose .venv exists.
    for unit in (DEPLOY / "systemd").glob("*.service"):
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/urbanmgmt", str(ROOT)))
    units = sorted(str(p) for p in tmp_path.glob("*.service"))
    assert len(units) == 3
    result = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "urbanmgmt" in line]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr
