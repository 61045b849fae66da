"""A gunicorn worker loads what its first requests would need before it takes one (app/core/warmup.py)."""
import sys

from app.core.warmup import warm_up

STEPS = {"search", "templates", "holidays", "mappers", "database", "languages"}


def test_every_step_runs_and_reports_its_time(app):
    steps = warm_up(app)
    assert set(steps) == STEPS
    assert all(outcome.endswith(" s") for outcome in steps.values()), steps
    assert "holidays.countries" in sys.modules  # the 180 ms import happened here, not in a customer's request
    assert app.jinja_env.cache and len(app.jinja_env.cache) >= len(app.jinja_env.list_templates())


def test_a_failing_step_leaves_the_others_to_run(app, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ConnectionError("database away")

    monkeypatch.setattr("app.search.service.help_search", broken)
    steps = warm_up(app)
    assert steps["search"] == "failed (ConnectionError)"
    assert all(steps[name].endswith(" s") for name in STEPS - {"search"})
    # The app still answers afterwards.
    assert app.test_client().get("/anmelden").status_code == 200
