"""deploy/gunicorn.conf.py: an access log without query strings, and no production start with per-worker limits."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from app.config import ConfigError, config_from_env
from tests.conftest import FIXTURE_CONTENT, ROOT

CONF = str(ROOT / "deploy" / "gunicorn.conf.py")
CARD_SPELLINGS = ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("HELPCENTER_ENV", "RATELIMIT_STORAGE_URI", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS")}
    env.update(HELPCENTER_CONTENT_DIR=str(FIXTURE_CONTENT), HELPCENTER_INDEX_DIR=str(tmp_path / "index"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}", SECRET_KEY="gunicorn-conf-test", **extra)
    return env


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:  # a loaded machine: leave no workers behind
        server.kill()
        server.wait(10)


def _get(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_access_log_holds_no_query_string_and_no_card_number(tmp_path):
    port = _free_port()
    env = _env(tmp_path, WEB_CONCURRENCY="1")
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    out, err = open(tmp_path / "stdout", "wb"), open(tmp_path / "stderr", "wb")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", CONF, "-b", f"127.0.0.1:{port}",
                               "--graceful-timeout", "5", "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                _get(base + "/robots.txt")
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, "gunicorn did not come up"
                time.sleep(0.2)
        for card in CARD_SPELLINGS:
            query = urllib.request.quote(f"Karte {card}")
            assert _get(f"{base}/suche?q={query}", Referer=f"{base}/suche?q={query}") == 200
            assert _get(f"{base}/api/search?q={query}&limit=3") == 200
            assert _get(f"{base}/gibt-es-nicht/{card.replace(' ', '')}?q={query}") == 404
    finally:
        _stop(server)
        out.close()
        err.close()
    access_log = (tmp_path / "stdout").read_text() + (tmp_path / "stderr").read_text()
    assert '"GET /suche HTTP/1.1" 200' in access_log and '"GET /api/search HTTP/1.1" 200' in access_log
    assert "q=" not in access_log and "Karte" not in access_log
    digits_only = "".join(c for c in access_log if c.isdigit() or c == "\n")
    assert "4111111111111111" not in digits_only.replace("\n", "|")
    assert "411111******1111" in access_log  # the card in the path is logged masked


def test_production_with_several_workers_and_memory_rate_limits_does_not_start(tmp_path):
    env = _env(tmp_path, HELPCENTER_ENV="production", WEB_CONCURRENCY="2")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", CONF, "-b", f"127.0.0.1:{_free_port()}",
                             "wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    # Stopped by the on_starting hook before any worker (a refused worker would exit with status 3).
    assert result.returncode == 1 and "Booting worker" not in result.stderr
    assert "Error: HELPCENTER_ENV=production with 2 workers" in result.stderr
    assert "RATELIMIT_STORAGE_URI=redis://" in result.stderr


def test_without_the_config_file_the_app_itself_refuses_to_boot(tmp_path):
    env = _env(tmp_path, HELPCENTER_ENV="production", WEB_CONCURRENCY="2")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{_free_port()}",
                             "--graceful-timeout", "2", "wsgi:app"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=90)
    assert result.returncode != 0 and "Worker failed to boot" in result.stderr
    assert "HELPCENTER_ENV=production with 2 workers" in result.stderr


@pytest.mark.parametrize("env,refused", [
    ({"WEB_CONCURRENCY": "4"}, True),
    ({"WEB_CONCURRENCY": "4", "RATELIMIT_STORAGE_URI": "memory://"}, True),
    ({"GUNICORN_CMD_ARGS": "--workers 3 --bind 0.0.0.0:80"}, True),
    ({"GUNICORN_CMD_ARGS": "-w 2"}, True),
    ({"GUNICORN_CMD_ARGS": "--workers=2"}, True),
    ({"WEB_CONCURRENCY": "4", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}, False),
    ({"WEB_CONCURRENCY": "1"}, False),
    ({}, False),
    ({"WEB_CONCURRENCY": "4", "HELPCENTER_ENV": "development"}, False),
])
def test_the_app_refuses_several_workers_with_per_worker_rate_limits_in_production(tmp_path, env, refused):
    env = {"HELPCENTER_ENV": "production", "SECRET_KEY": "s" * 32, **env}
    if refused:
        with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
            config_from_env(tmp_path, env)
    else:
        assert config_from_env(tmp_path, env)["SECRET_KEY"] == "s" * 32
