"""`make test` on a fresh Debian machine: .ci/run-tests installs what is missing and finds PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.imap_server import dovecot_available

SCRIPT = ROOT / ".ci" / "run-tests"


def _fake(bin_dir, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _dry_run(tmp_path, *, installed: bool, uid: int, postgres_up: bool, env_url: str | None = None,
             command=("pytest", "-q"), dry_run: bool = True, **extra_env):
    """Run the script (with --dry-run unless told otherwise) and stand-ins for dpkg-query, id, pg_isready and psql."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    _fake(bin_dir, "dpkg-query", "echo 'install ok installed'" if installed else "exit 1")
    _fake(bin_dir, "id", f"echo {uid}")
    _fake(bin_dir, "pg_isready", "exit 0" if postgres_up else "exit 2")
    _fake(bin_dir, "psql", "echo 1")
    env = {key: value for key, value in os.environ.items()
           if key != "TEST_DATABASE_URL" and not key.startswith("HELPCENTER_TEST_IMAP_")}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    if env_url:
        env["TEST_DATABASE_URL"] = env_url
    env.update(extra_env)
    options = ["--dry-run"] if dry_run else []
    return subprocess.run([str(SCRIPT), *options, *command], env=env, capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


@pytest.mark.parametrize(("installed", "uid", "postgres_up", "rc", "expected", "absent"), [
    (True, 1000, True, 0, ["TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test", "would run: pytest -q"],
     ["apt-get"]),
    (True, 1000, False, 0, ["SQLite half only", "would run: pytest -q"], ["TEST_DATABASE_URL="]),
    (False, 0, True, 0, ["would run: sh -c apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install "
                         "-y -qq --no-install-recommends chromium fonts-dejavu-core dovecot-imapd openssl "
                         "nginx redis-server",
                         "would run: pytest -q"], []),
    (False, 1000, True, 1, ["sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install "
                            "-y -qq --no-install-recommends chromium fonts-dejavu-core dovecot-imapd openssl "
                            "nginx redis-server'"],
     ["would run: pytest"]),
])
def test_run_tests_installs_browser_packages_and_finds_postgresql(tmp_path, installed, uid, postgres_up, rc,
                                                                 expected, absent):
    result = _dry_run(tmp_path, installed=installed, uid=uid, postgres_up=postgres_up)
    output = result.stdout + result.stderr
    assert result.returncode == rc, output
    for text in expected:
        assert text in output
    for text in absent:
        assert text not in output


def test_run_tests_keeps_a_database_url_that_is_already_set(tmp_path):
    result = _dry_run(tmp_path, installed=True, uid=1000, postgres_up=True,
                      env_url="postgresql://postgres@127.0.0.1:5432/test_mine")
    assert "TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_mine" in result.stdout


def test_make_test_and_ci_go_through_the_script():
    assert ".ci/run-tests $(BIN)/python -m pytest" in (ROOT / "Makefile").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_run_tests_starts_a_test_imap_server_unless_one_is_given(tmp_path):
    result = _dry_run(tmp_path, installed=True, uid=1000, postgres_up=False)
    assert "would run: python3 tests/imap_server.py --start ENV_FILE (and --stop ENV_FILE at exit)" in result.stdout

    given = _dry_run(tmp_path / "given", installed=True, uid=1000, postgres_up=False,
                     HELPCENTER_TEST_IMAP_HOST="imap.ci.example")
    assert "IMAP tests: the server at HELPCENTER_TEST_IMAP_HOST=imap.ci.example" in given.stdout
    assert "imap_server.py" not in given.stdout


@pytest.mark.skipif(not dovecot_available(), reason="no dovecot installed")
def test_run_tests_gives_the_command_a_running_imap_server_and_stops_it_afterwards(tmp_path):
    probe = ("from tests.imap_server import ImapServer; server = ImapServer.from_env(); conn = server.connect(); "
             "print('ROOT', server.root, conn.select('INBOX')[0]); conn.logout()")
    result = _dry_run(tmp_path, installed=True, uid=1000, postgres_up=False, dry_run=False,
                      command=(sys.executable, "-c", probe), PYTHONPATH=str(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Test IMAP server (dovecot) on 127.0.0.1:" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.startswith("ROOT "))
    _, root, selected = line.split()
    assert selected == "OK"
    assert not Path(root).exists()  # stopped and removed when the command had finished
