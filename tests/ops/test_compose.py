"""docker-compose.yml, read as Compose would (no Docker engine on this machine to run it)."""

import re
import secrets
from pathlib import Path

import yaml

STACK = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
SERVICES = STACK["services"]


def test_migrations_run_once_before_web_worker_and_beat_start():
    assert SERVICES["migrate"]["command"][-3:] == ["manage.py", "migrate", "--no-input"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        waits_for = SERVICES[name]["depends_on"]["migrate"]
        assert waits_for == {"condition": "service_completed_successfully"}, name
        assert "migrate" not in " ".join(SERVICES[name]["command"]), name


def test_web_worker_and_beat_each_have_their_own_health_check():
    checks = {
        name: " ".join(SERVICES[name]["healthcheck"]["test"]) for name in ("web", "worker", "beat")
    }
    assert "http://127.0.0.1:8000/healthz" in checks["web"]
    assert "inspect ping --destination celery@$$HOSTNAME" in checks["worker"]
    assert checks["beat"].endswith("manage.py health beat")


def test_a_worker_that_stops_answering_pings_is_restarted():
    check = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert check.endswith("|| kill -TERM 1")  # PID 1 is celery: the container stops...
    assert SERVICES["worker"]["restart"] == "unless-stopped"  # ...and is started again
    assert SERVICES["worker"]["command"][0] == "celery"  # exec form: celery is PID 1


def test_redis_keeps_an_append_only_file_on_a_volume():
    redis = SERVICES["redis"]
    assert redis["command"][:3] == ["redis-server", "--appendonly", "yes"]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_production_cookies_stay_secure_and_web_listens_on_loopback_for_the_proxy():
    environment = SERVICES["web"]["environment"]
    assert "SECURE_COOKIES" not in environment  # the settings' default: secure
    assert SERVICES["web"]["ports"] == ["${WEB_BIND:-127.0.0.1}:8000:8000"]


def test_the_images_static_files_step_runs_with_the_settings_it_gives(run_python, tmp_path):
    """The Dockerfile's collectstatic loads the production settings: each variable their
    refusals ask for must be on its line, or the image does not build."""
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    step = re.search(r"RUN (APP_ENV=production .*?collectstatic[^\n]*)", dockerfile, re.S)[1]
    env = dict(re.findall(r"(\w+)=(\"\$\(.*?\)\"|\S+)", step.replace("\\\n", " ")))
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # made by a shell there

    done = run_python("manage.py", "collectstatic", "--no-input", "--dry-run", "-v", "0", **env)

    assert done.returncode == 0, done.stderr
