"""The load bench (bench/load.py) on the production-shaped cluster, short and bounded: every group answered,
no error. Figures (requests per second, percentiles) are the bench's business, not a test's: none asserted here.

Needs Debian's nginx, redis-server, openssl, Locust (the dev extra) and a PostgreSQL (TEST_DATABASE_URL).
"""
import os
import shutil

import pytest

from bench import cluster as cluster_module
from tests.test_cluster_drill import _postgres_up

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.path.exists(cluster_module.NGINX) and shutil.which("redis-server") and shutil.which("openssl")
             and (cluster_module.BIN / "locust").exists() and os.environ.get("TEST_DATABASE_URL") and _postgres_up()),
        reason="needs nginx, redis-server, openssl, locust and a PostgreSQL (TEST_DATABASE_URL)"),
]

GROUPS = {"/", "/suche?q=", "/api/search?q=", "/hilfe/<category>/<slug>", "/sendungsverfolgung",
          "POST /sendungsverfolgung", "/sendungsverfolgung/<number>", "/konto", "/api/orders", "/kontakt",
          "POST /kontakt", "/kontakt/anfrage/<number>", "/anmelden", "POST /anmelden", "/agent",
          "/api/agent/queues", "/api/agent/cases?queue="}


def test_eight_users_through_nginx_get_answers_in_every_group_without_an_error(monkeypatch):
    from bench import load

    monkeypatch.setattr(cluster_module, "SHARED_POSTGRES", os.environ["TEST_DATABASE_URL"])
    [result] = load.run([8], duration=20, workers=2, echo=lambda text: None)

    assert result.errors == {} and result.error_count == 0 and result.server_errors == 0
    answered = {group.name for group in result.groups if group.requests > 0}
    assert GROUPS <= answered, sorted(GROUPS - answered)
    assert result.total.requests == sum(group.requests for group in result.groups)
