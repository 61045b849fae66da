"""Several gunicorn workers starting at once on a missing index: one builds it, all answer."""
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from app.search.index import IndexStore
from tests.conftest import FIXTURE_CONTENT, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_four_workers_start_on_a_missing_index_and_all_answer(tmp_path):
    port = _free_port()
    env = dict(os.environ, HELPCENTER_CONTENT_DIR=str(FIXTURE_CONTENT), HELPCENTER_INDEX_DIR=str(tmp_path / "index"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}", SECRET_KEY="gunicorn-test")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "4", "--graceful-timeout", "5", "-b",
                               f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/api/search?limit=3&q="
        deadline = time.time() + 30
        while True:
            try:
                _get(base + "Paket")
                break
            except OSError:
                assert time.time() < deadline, "gunicorn did not come up"
                time.sleep(0.2)
        queries = ["Rechnung", "Rücksendeetikett", "Sendung verfolgen", "PayPal"] * 10
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda q: _get(base + urllib.parse.quote(q)), queries))
        assert {status for status, _ in answers} == {200}
        assert all(body["results"] for _, body in answers)
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:  # a loaded machine: leave no workers behind
            server.kill()
            server.wait(10)
    store = IndexStore(tmp_path / "index")
    assert store.document_count() == 12
    assert len(list(Path(tmp_path / "index").glob("gen-*"))) == 1
