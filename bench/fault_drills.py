"""Faults during steady contact-form load: `python bench/fault_drills.py [DRILL …]` prints a report per drill.

Drills (each a function taking a running bench.cluster.Cluster): worker_sigkill, outbox_killed, smtp_down,
redis_stopped, reload_under_load, postgres_stopped (on a private PostgreSQL of its own, stopped for 20 s). Each reports what
clients saw (answers per status, the longest wait) and acknowledged / stored / mailed / duplicated counts:
nothing acknowledged may be missing, nothing stored twice, every stored case mailed once.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cluster import Cluster, PrivatePostgres, cluster  # noqa: E402
from bench.cluster_drill import ARTICLE_URL, address, client, direct  # noqa: E402


@dataclass
class Seen:
    started: float
    ended: float
    status: int  # -1: no answer (connection error or timeout)
    number: str | None = None


@dataclass
class Load:
    """Contact submissions through nginx from `threads` threads (each from new client addresses), plus
    page reads; every answer recorded."""
    site: Cluster
    threads: int = 3
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    posts: list[Seen] = field(default_factory=list)
    reads: list[Seen] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _submit(self) -> None:
        while not self._stop.is_set():
            i = self._next()
            session = client(self.site, address(i + random.randrange(10**6)))
            started = time.monotonic()
            try:
                token = session.get(self.site.base_url + "/api/auth/csrf", timeout=15).json()["csrf_token"]
                answer = session.post(self.site.base_url + "/api/cases", timeout=15, headers={"X-CSRFToken": token},
                                      json={"topic": "zahlung", "message": f"Frage zur Zahlung, Last {self.tag} {i}.",
                                            "channel": "email", "name": f"Last {i}",
                                            "email": f"load-{self.tag}-{i}@example.com"})
                number = answer.json().get("case_number") if answer.status_code == 201 else None
                self.posts.append(Seen(started, time.monotonic(), answer.status_code, number))
            except (requests.RequestException, ValueError, KeyError):
                self.posts.append(Seen(started, time.monotonic(), -1))
                time.sleep(0.2)

    def _read(self) -> None:
        paths = ["/", ARTICLE_URL, "/api/search?q=Paket+verfolgen&limit=5", "/suche?q=Rechnung"]
        reads = 0
        while not self._stop.is_set():
            if reads % 20 == 0:  # another visitor now and then: one address would meet the search limit
                session = client(self.site, address(random.randrange(10**6)))
            reads += 1
            started = time.monotonic()
            try:
                status = session.get(self.site.base_url + random.choice(paths), timeout=15).status_code
            except requests.RequestException:
                status = -1
            self.reads.append(Seen(started, time.monotonic(), status))

    @contextlib.contextmanager
    def running(self):
        workers = [threading.Thread(target=self._submit) for _ in range(self.threads)]
        workers.append(threading.Thread(target=self._read))
        for worker in workers:
            worker.start()
        try:
            yield self
        finally:
            self._stop.set()
            for worker in workers:
                worker.join(30)


def seen_summary(seen: list[Seen]) -> str:
    statuses = collections.Counter(s.status for s in seen)
    slowest = max((s.ended - s.started for s in seen), default=0)
    return f"{dict(statuses)}, slowest {slowest:.2f} s"


def longest_silence(seen: list[Seen], since: float, until: float) -> float:
    """The longest time in [since, until] in which no request got any answer."""
    ends = sorted([since] + [s.ended for s in seen if since <= s.ended <= until and s.status != -1] + [until])
    return max(b - a for a, b in zip(ends, ends[1:]))


def outcome(site: Cluster, load: Load, name: str, what: str, mail_wait: float = 90) -> dict:
    """Count acknowledged / stored / mailed / duplicated once the outbox has had time to drain."""
    import sqlalchemy as sa

    acknowledged = {s.number for s in load.posts if s.status == 201}
    engine = sa.create_engine(site.database_url)
    deadline = time.monotonic() + 60
    while True:
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT number, contact_email FROM support_case "
                                            "WHERE contact_email LIKE :p"), {"p": f"load-{load.tag}-%"}).all()
            break
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    engine.dispose()
    stored = {number for number, _ in rows}
    emails = {email for _, email in rows}
    deadline = time.monotonic() + mail_wait
    while time.monotonic() < deadline:
        mailed = collections.Counter(r for m in site.smtp.mails() for r in m.to if r in emails)
        if set(mailed) >= emails:
            break
        time.sleep(1)
    time.sleep(2)
    mailed = collections.Counter(r for m in site.smtp.mails() for r in m.to if r in emails)
    per_email = collections.Counter(email for _, email in rows)
    result = {
        "drill": name, "fault": what,
        "submissions": seen_summary(load.posts), "page reads": seen_summary(load.reads),
        "acknowledged": len(acknowledged), "stored": len(stored),
        "acknowledged but missing": len(acknowledged - stored),
        "stored without acknowledgement": len(stored - acknowledged),
        "stored twice": sum(n - 1 for n in per_email.values()),
        "mailed": len(mailed), "not mailed": len(emails - set(mailed)),
        "mailed twice": sum(n - 1 for n in mailed.values()),
    }
    result["ok"] = (result["acknowledged but missing"] == 0 and result["stored twice"] == 0
                    and result["not mailed"] == 0)
    return result


def print_result(result: dict) -> None:
    print(f"\n== {result['drill']}: {'ok' if result['ok'] else 'FAILED'}")
    for key, value in result.items():
        if key not in ("drill", "ok"):
            print(f"   {key}: {value}", flush=True)


# --- the drills ------------------------------------------------------------------------------------------------

def worker_sigkill(site: Cluster, settle: float = 5) -> dict:
    """SIGKILL one gunicorn worker on each node, mid-load; gunicorn starts a warm replacement."""
    load = Load(site)
    with load.running():
        time.sleep(settle)
        killed = []
        for node in site.nodes:
            pid = random.choice(node.workers())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            time.sleep(1)
        time.sleep(settle)
    result = outcome(site, load, "worker_sigkill", f"SIGKILL to worker {killed} (one per node)")
    result["workers afterwards"] = [len(node.workers()) for node in site.nodes]
    return result


def outbox_killed(site: Cluster, burst: int = 30) -> dict:
    """SIGKILL an outbox worker while it sends (the SMTP sink answers slowly); the other one finishes."""
    site.smtp.delay = 0.2
    load = Load(site, threads=3)
    try:
        with load.running():
            deadline = time.monotonic() + 60
            while len([s for s in load.posts if s.status == 201]) < burst and time.monotonic() < deadline:
                time.sleep(0.2)
        before = len(site.smtp.mails())
        while len(site.smtp.mails()) < before + 3 and time.monotonic() < deadline + 30:
            time.sleep(0.05)
        victim = site.outbox[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        killed_at = time.monotonic()
        result = outcome(site, load, "outbox_killed", f"SIGKILL to outbox worker {victim.pid} mid-delivery "
                                                      "(its leases run out after 60 s)", mail_wait=120)
        result["last mail after the kill"] = f"{time.monotonic() - killed_at:.0f} s (incl. 2 s settle)"
    finally:
        site.smtp.delay = 0
        site.outbox[0] = site.start_outbox_worker()
        site.outbox.pop()
    return result


def smtp_down(site: Cluster, down: float = 60) -> dict:
    """The SMTP server away for `down` seconds: submissions still succeed, every mail goes out once after."""
    load = Load(site)
    with load.running():
        time.sleep(2)
        site.smtp.stop()
        stopped = time.monotonic()
        time.sleep(down)
        site.smtp.start()
    back = time.monotonic()
    result = outcome(site, load, "smtp_down", f"SMTP server away for {down:.0f} s", mail_wait=240)
    result["all mailed after SMTP was back"] = f"{time.monotonic() - back - 2:.0f} s (outbox backoff: 30 s, doubling)"
    during = [s for s in load.posts if stopped <= s.started <= stopped + down]
    result["submissions while SMTP was away"] = seen_summary(during)
    return result


def redis_stopped(site: Cluster, down: float = 15) -> dict:
    """Stop Redis for `down` seconds: the site keeps serving (rate limits fall back to each worker's memory)."""
    load = Load(site)
    with load.running():
        time.sleep(3)
        site.redis.stop()
        stopped = time.monotonic()
        time.sleep(down)
        site.redis.start()
        time.sleep(5)
    during = [s for s in load.posts + load.reads if stopped <= s.started <= stopped + down]
    result = outcome(site, load, "redis_stopped", f"Redis stopped for {down:.0f} s and started again")
    result["answers while Redis was down"] = seen_summary(during)
    result["ok"] = result["ok"] and all(s.status in (200, 201) for s in load.posts + load.reads)
    return result


def reload_under_load(site: Cluster, direct_threads: int = 2, nodes: int | None = None) -> dict:
    """`systemctl reload` (HUP) each node (or the first `nodes`) in turn under load; a client on node0
    directly measures the longest time without an answer."""
    load = Load(site)
    on_node: list[Seen] = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = direct(site.nodes[0].url, ARTICLE_URL).status_code
            except requests.RequestException:
                status = -1
            on_node.append(Seen(started, time.monotonic(), status))

    threads = [threading.Thread(target=hammer) for _ in range(direct_threads)]
    for thread in threads:
        thread.start()
    with load.running():
        time.sleep(3)
        gaps = []
        for node in site.nodes[:nodes]:
            before = set(node.workers())
            reloaded = time.monotonic()
            node.reload()
            deadline = time.monotonic() + 120
            while (set(node.workers()) & before or node.warm_workers() < int(node.env["WEB_CONCURRENCY"])) \
                    and time.monotonic() < deadline:
                time.sleep(0.2)
            gaps.append(time.monotonic() - reloaded)
            time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join(30)
    silence = longest_silence(on_node, on_node[0].started, on_node[-1].ended) if on_node else float("nan")
    result = outcome(site, load, "reload_under_load",
                     "HUP to " + ", then ".join(f"{n.name}'s" for n in site.nodes[:nodes]) + " gunicorn master")
    result["reload took (old workers gone, new warm)"] = ", ".join(f"{g:.1f} s" for g in gaps)
    result["client on node0 directly"] = f"{seen_summary(on_node)}, longest time without an answer {silence:.2f} s"
    failed = [s for s in load.posts + load.reads + on_node if s.status not in (200, 201)]
    result["failed requests"] = len(failed)
    # Two verdicts: nothing lost or failed (what the test suite asserts), and that plus no gap over one
    # second (the target; a timing, so judged by this script on a quiet machine, not by the busy test run).
    result["nothing lost"] = result["ok"] and not failed
    result["ok"] = result["nothing lost"] and silence < 1.0
    return result


def postgres_stopped(site: Cluster, server: PrivatePostgres, down: float = 20) -> dict:
    """Stop the (private) PostgreSQL for `down` s: quick 503s, recovery without a restart, nothing lost."""
    load = Load(site)
    with load.running():
        time.sleep(3)
        server.stop()
        stopped = time.monotonic()
        time.sleep(down)
        server.start()
        started = time.monotonic()
        time.sleep(8)
    during = [s for s in load.posts if stopped + 1 <= s.started <= stopped + down - 1]
    after = [s for s in load.posts if s.started >= started + 3]
    result = outcome(site, load, "postgres_stopped", f"PostgreSQL stopped for {down:.0f} s and started again")
    result["submissions while down"] = seen_summary(during)
    result["submissions from 3 s after the start"] = seen_summary(after)
    result["ok"] = (result["ok"] and after and all(s.status == 201 for s in after)
                    and all(s.status in (201, 503) for s in during) and max(s.ended - s.started for s in during) < 3)
    return result


SHARED_CLUSTER_DRILLS = {"worker_sigkill": worker_sigkill, "outbox_killed": outbox_killed, "smtp_down": smtp_down,
                         "redis_stopped": redis_stopped, "reload_under_load": reload_under_load}


def run(names: list[str], workers: int = 4, **options) -> list[dict]:
    results = []
    shared = [n for n in names if n in SHARED_CLUSTER_DRILLS]
    if shared:
        with cluster(workers=workers) as site:
            for name in shared:
                results.append(SHARED_CLUSTER_DRILLS[name](site, **options.get(name, {})))
                print_result(results[-1])
    if "postgres_stopped" in names:
        work = Path(tempfile.mkdtemp(prefix="helpcenter-pg-"))
        server = PrivatePostgres(work)
        try:
            server.init()
            with cluster(workers=workers, database_url=server.url) as site:
                results.append(postgres_stopped(site, server))
                print_result(results[-1])
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
    return results


def main() -> int:
    everything = list(SHARED_CLUSTER_DRILLS) + ["postgres_stopped"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drills", nargs="*", choices=everything, default=everything)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    results = run(args.drills or everything, args.workers)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
