"""Load: `python bench/load.py [--users 4 16] [--duration 60] [--reload]` prints figures per endpoint group.

Starts the production-shaped cluster of bench/cluster.py (nginx with TLS → two gunicorn nodes from
deploy/gunicorn.conf.py on one PostgreSQL and a private Redis, two outbox workers, the demo shop) and drives it
through nginx with Locust (headless, bounded: bench/locustfile.py) from many loopback client addresses:
guests on the home page, the search page and the type-ahead search API (queries of
bench/search_quality_queries.tsv), article pages, guest tracking with demo order numbers and postcodes, the
contact form (CSRF token from the page, as a browser); Anna signed in on her account and orders; one agent
polling the console. Users arrive two a second (--spawn-rate); Anna signs in when she arrives and again
when she comes back later (a new visit); 30 s of unmeasured load warm a fresh cluster first (--warm-up).
For each number of users: requests per second, p50/p95/p99 per group (named by URL pattern), failures and
5xx answers. --reload adds a run (with the last number of users) that sends HUP to
node0's gunicorn master halfway through and reports the longest time without any answer, through nginx and
on node0 directly (two clients asking it every 50 ms).

Without the cluster: `--url https://… --database-url postgresql://…` drives a site already running (e.g. `make
run`'s, with the demo shop loaded); `run(...)` does the same from Python (tests/test_cluster_drill.py runs 8
users for 20 s on the drill's cluster).
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import runpy
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cluster import BIN, DEPLOY, ROOT, cluster  # noqa: E402

QUERIES = ROOT / "bench" / "search_quality_queries.tsv"
CUSTOMER = ("anna.schmidt@example.com", "demo-kunde")
AGENT = ("agent@example.com", "demo-agent")
PROBE_PATH = "/hilfe/sendungsverfolgung/sendung-verfolgen"


@dataclass
class Group:
    name: str
    method: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


@dataclass
class Result:
    users: int
    duration: float
    groups: list[Group]
    total: Group
    errors: dict[str, int]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    reload: dict = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def server_errors(self) -> int:
        return sum(n for error, n in self.errors.items() if error.startswith("HTTP 5"))


def seed_data(database_url: str) -> dict:
    """What the users need, from the demo shop in the database and the search-quality queries."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        articles = [f"/hilfe/{category}/{slug}" for category, slug in conn.execute(sa.text(
            "SELECT category, slug FROM article WHERE lang = 'de' AND published_revision IS NOT NULL ORDER BY slug"))]
        orders = [list(row) for row in conn.execute(sa.text(
            "SELECT number, ship_postcode FROM shop_order ORDER BY number"))]
        customer_orders = [row[0] for row in conn.execute(sa.text(
            "SELECT o.number FROM shop_order o JOIN customer c ON c.id = o.customer_id WHERE c.email = :email "
            "ORDER BY o.number"), {"email": CUSTOMER[0]})]
    engine.dispose()
    queries = []
    with QUERIES.open() as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            if row["lang"] == "de" and row["query"].strip():
                queries.append(row["query"])
    if not (articles and orders and customer_orders and queries):
        raise RuntimeError("the database lacks the demo shop or the articles: run `flask demo load` first")
    return {"queries": queries, "articles": articles, "orders": orders, "customer_orders": customer_orders,
            "customer": CUSTOMER, "agent": AGENT}


def worker_settings(env: dict) -> dict:
    """deploy/gunicorn.conf.py's settings as a node started with env reads them."""
    keys = ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT")
    saved = {key: os.environ.get(key) for key in keys}
    try:
        os.environ.update({key: env[key] for key in keys if key in env})
        conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {key: conf.get(key, default) for key, default in (
        ("workers", 1), ("worker_class", "sync"), ("threads", 1), ("timeout", 30), ("keepalive", 2),
        ("max_requests", 0))}


def longest_silence(times: list[float], since: float, until: float) -> float:
    """The longest time in [since, until] without any answer."""
    ends = sorted([since] + [t for t in times if since <= t <= until] + [until])
    return max(b - a for a, b in zip(ends, ends[1:]))


def _read_stats(prefix: Path) -> tuple[list[Group], Group, dict[str, int]]:
    groups, total = [], None
    with open(f"{prefix}_stats.csv") as rows:
        for row in csv.DictReader(rows):
            figures = [float(row[key]) if row.get(key) not in (None, "", "N/A") else float("nan")
                       for key in ("Requests/s", "50%", "95%", "99%")]
            group = Group(row["Name"], row["Type"], int(row["Request Count"]), int(row["Failure Count"]), *figures)
            if row["Name"] == "Aggregated":
                total = group
            else:
                groups.append(group)
    errors: dict[str, int] = {}
    with open(f"{prefix}_failures.csv") as rows:
        for row in csv.DictReader(rows):
            error = row["Error"]
            if error.startswith("CatchResponseError("):
                error = error.removeprefix("CatchResponseError(").strip("')\"")
            errors[f"{error} ({row['Method']} {row['Name']})"] = int(row["Occurrences"])
    return groups, total, errors


# Users arrive at this many a second (Locust's spawn rate). All 16 at once measured a cold start instead of
# the steady state: in the first four seconds every group's server-side time was 0.5-2 s (each worker's
# first database connection and queries, 16 TLS handshakes, Locust spawning), and the sign-ins, all made
# then, only ever saw that moment.
SPAWN_RATE = 2.0
WARM_UP = 30.0


def drive(base_url: str, data: dict, users: int, duration: float, *, wait: tuple[float, float] = (0.1, 0.6),
          spawn_rate: float = SPAWN_RATE, during=None) -> Result:
    """Run Locust against base_url for `duration` seconds with `users` users arriving `spawn_rate` a second;
    during(start) runs alongside."""
    with tempfile.TemporaryDirectory(prefix="helpcenter-load-") as work:
        work = Path(work)
        (work / "data.json").write_text(json.dumps(data))
        env = {**os.environ, "HELPCENTER_LOAD_DATA": str(work / "data.json"),
               "HELPCENTER_LOAD_ANSWERS": str(work / "answers.json"),
               "HELPCENTER_LOAD_WAIT": f"{wait[0]},{wait[1]}"}
        rate = spawn_rate if spawn_rate > 0 else users
        command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                   "-u", str(users), "-r", str(rate), "-t", f"{int(duration)}s", "--host", base_url,
                   "--csv", str(work / "stats"), "--only-summary", "--stop-timeout", "5", "--loglevel", "ERROR",
                   "--exit-code-on-error", "0", "--skip-log-setup"]
        load_before = os.getloadavg()
        started = time.monotonic()
        locust = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        extra = during(started) if during else {}
        output, _ = locust.communicate(timeout=duration + 120)
        if locust.returncode != 0 or not (work / "stats_stats.csv").exists():
            raise RuntimeError(f"locust exited with {locust.returncode}:\n{output[-3000:]}")
        groups, total, errors = _read_stats(work / "stats")
        result = Result(users, duration, groups, total, errors, load_before, os.getloadavg())
        if extra:
            answers = json.loads((work / "answers.json").read_text())["answers"]
            # From a second before the HUP until the reload settled (or the run ended, if earlier).
            since, until = extra.pop("hup_at") - 1, min(extra.pop("settled_at") + 1, started + duration)
            extra["longest time without an answer through nginx"] = longest_silence(
                [t for t, _ in answers], since, until)
            result.reload = extra
        return result


@contextlib.contextmanager
def probing(url: str, threads: int = 2):
    """Clients asking one node directly (as nginx would), one request every 50 ms each; yields the answer times."""
    import requests

    times: list[float] = []
    stop = threading.Event()

    def probe():
        session = requests.Session()
        session.trust_env = False
        while not stop.is_set():
            try:
                session.get(url + PROBE_PATH, timeout=30, headers={"X-Forwarded-Proto": "https",
                                                                   "X-Forwarded-For": "198.51.100.7",
                                                                   "Host": "127.0.0.1"})
                times.append(time.monotonic())
            except requests.RequestException:
                pass
            # 20 answers a second at most per thread: without a pause the probe alone sent a node some 130
            # requests a second, and its workers reached max_requests (2,000) during a reload, all at once.
            time.sleep(0.05)

    workers = [threading.Thread(target=probe, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield times
    finally:
        stop.set()
        for worker in workers:
            worker.join(35)


def reload_midway(site, duration: float):
    """during() for drive: HUP node0 halfway; measure the reload and the longest silence on node0 directly."""
    node = site.nodes[0]

    def during(started: float) -> dict:
        with probing(node.url) as times:
            time.sleep(max(duration / 2 - (time.monotonic() - started), 0))
            before = set(node.workers())
            hup_at = time.monotonic()
            node.reload()
            while set(node.workers()) & before or node.warm_workers() < int(node.env["WEB_CONCURRENCY"]):
                if time.monotonic() - hup_at > 120:
                    break
                time.sleep(0.1)
            settled_at = time.monotonic()
            time.sleep(1)
        return {"hup_at": hup_at, "settled_at": settled_at, "reload took (old workers gone, new warm)":
                settled_at - hup_at, f"longest time without an answer on {node.name} directly":
                longest_silence(times, hup_at - 1, settled_at + 1)}

    return during


def report(result: Result, settings: dict | None = None) -> str:
    lines = [(f"--- {result.users} users, {result.duration:.0f} s; load average before "
              f"{result.load_before[0]:.2f}, after {result.load_after[0]:.2f} ({os.cpu_count()} cores)")]
    if settings:
        lines.append("workers: " + ", ".join(f"{k} {v}" for k, v in settings.items()))
    lines.append(f"{'group':<34} {'requests':>8} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'fail':>5}")
    for g in sorted(result.groups, key=lambda g: -g.requests) + [result.total]:
        lines.append(f"{(g.method + ' ' if g.method == 'POST' and not g.name.startswith('POST') else '') + g.name:<34}"
                     f" {g.requests:>8} {g.rps:>7.1f} {g.p50:>6.0f} {g.p95:>6.0f} {g.p99:>6.0f} {g.failures:>5}")
    lines.append(f"errors {result.error_count}, 5xx {result.server_errors}"
                 + "".join(f"\n  {n} × {error}" for error, n in sorted(result.errors.items())))
    for key, value in result.reload.items():
        lines.append(f"reload: {key} {value:.2f} s")
    return "\n".join(lines)


def _say(text: str) -> None:
    print(text, flush=True)


def run(users: list[int], duration: float = 60, *, reload: bool = False, workers: int = 4, url: str | None = None,
        database_url: str | None = None, wait: tuple[float, float] = (0.1, 0.6), ca_file: str | None = None,
        keep: bool = False, spawn_rate: float = SPAWN_RATE, warm_up: float = 0, echo=_say) -> list[Result]:
    """One Locust run per number of users, on a fresh cluster (or on url with database_url's demo shop); on a
    fresh cluster, `warm_up` seconds of load first that are not measured."""
    results = []
    if url:
        data = dict(seed_data(database_url), ca_file=ca_file)
        for count in users:
            results.append(drive(url, data, count, duration, wait=wait, spawn_rate=spawn_rate))
            echo(report(results[-1]))
        return results
    started = time.monotonic()
    with cluster(workers=workers, keep=keep) as site:
        settings = dict(nodes=len(site.nodes), **worker_settings(site.nodes[0].env))
        echo(f"cluster up in {time.monotonic() - started:.0f} s: {site.base_url} → "
             f"{', '.join(n.url for n in site.nodes)}")
        data = dict(seed_data(site.database_url), ca_file=site.ca_file)
        if warm_up:
            # Not measured: the first minute after the cluster started paid for every worker's first request
            # of each kind and for PostgreSQL analysing the freshly loaded demo shop (the first run, 4 users,
            # had sign-in p95 540 ms against 130 ms at 16 users a minute later).
            warming = drive(site.base_url, data, max(users), warm_up, wait=wait, spawn_rate=spawn_rate)
            echo(f"warm-up (not measured): {warming.users} users, {warm_up:.0f} s, {warming.total.requests} "
                 f"requests, errors {warming.error_count}, 5xx {warming.server_errors}")
        for count in users:
            results.append(drive(site.base_url, data, count, duration, wait=wait, spawn_rate=spawn_rate))
            echo(report(results[-1], settings))
        if reload:
            # A run of its own: the client asking node0 directly would add load to a measured run.
            echo(f"reload run: HUP to {site.nodes[0].name} after {duration / 2:.0f} s")
            results.append(drive(site.base_url, data, users[-1], duration, wait=wait, spawn_rate=spawn_rate,
                                 during=reload_midway(site, duration)))
            echo(report(results[-1], settings))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[4, 16], help="one run per number (default 4 16)")
    parser.add_argument("--duration", type=float, default=60, help="seconds per run (default 60)")
    parser.add_argument("--reload", action="store_true", help="one more run with a HUP to node0 halfway through")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per node (default 4)")
    parser.add_argument("--wait", type=float, nargs=2, default=(0.1, 0.6), metavar=("MIN", "MAX"),
                        help="seconds each user waits between requests (default 0.1 0.6)")
    parser.add_argument("--spawn-rate", type=float, default=SPAWN_RATE,
                        help=f"users arriving per second (default {SPAWN_RATE:g}; 0 or more than --users: all at once)")
    parser.add_argument("--warm-up", type=float, default=WARM_UP,
                        help=f"seconds of unmeasured load on the fresh cluster first (default {WARM_UP:g}; 0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the cluster's work directory (logs)")
    parser.add_argument("--url", help="drive this running site instead of starting the cluster")
    parser.add_argument("--database-url", help="with --url: its database (for demo orders and articles)")
    parser.add_argument("--ca-file", help="with --url: the certificate to trust (https)")
    args = parser.parse_args()
    if args.url and not args.database_url:
        parser.error("--url needs --database-url")
    results = run(args.users, args.duration, reload=args.reload, workers=args.workers, url=args.url,
                  database_url=args.database_url, wait=tuple(args.wait), ca_file=args.ca_file, keep=args.keep,
                  spawn_rate=args.spawn_rate, warm_up=args.warm_up)
    return 0 if all(r.error_count == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
