"""Gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` from the project root.

Copy and adapt it; every value can also be overridden on the command line. What it guarantees:
- the access log never holds a query string or a referrer (search terms, card numbers typed into a
  search box, tokens in links): it logs the method, the path without query, status, size and time;
- in production, several workers with per-worker (in-memory) rate limits refuse to start;
- a reload (SIGHUP, `systemctl reload helpcenter-web`) is rolling: the old workers keep serving until every
  new worker has loaded the new code, opened the search index and loaded the sentence model, so no request
  waits for a booting worker. A worker started after a crash or after max_requests likewise takes its first
  request only when warm.
"""
import os
import shutil
import sys
import tempfile
import threading
import time

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# A worker is replaced after this many requests (plus up to as many again), so slow leaks never add up. The
# wide jitter keeps a node's workers from being replaced together: a replacement takes requests only once
# warm (30-60 s under full load), and the load bench once saw a node silent for 10 s when all four workers
# reached max_requests = 2000 (jitter 200) within a few seconds of each other.
max_requests = 20000
max_requests_jitter = 20000
# No control socket (gunicorn >= 25): systemd's signals suffice, and two instances on one machine would
# share its default path ($HOME/.gunicorn/gunicorn.ctl).
control_socket_disable = True
# Not preload_app: a reload must import the new code in the new workers (a preloaded master keeps the old).

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(U)s is the path without the query string; no %(r)s (request line) and no %(f)s (referrer).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

# A reload waits at most this long for the new workers to be warm before retiring the old ones anyway.
READY_TIMEOUT = float(os.environ.get("GUNICORN_READY_TIMEOUT", "60"))
_READY_DIR = "HELPCENTER_GUNICORN_READY_DIR"  # where warm workers leave their pid (inherited by every worker)


def on_starting(server):
    """Stop before the first worker if several workers would each count rate limits on their own."""
    from app.config import per_worker_rate_limits

    problem = per_worker_rate_limits(os.environ, server.cfg.workers)
    # The master must not keep the app's modules: a worker forked after a reload would inherit the old
    # app/__init__.py and app/config.py instead of importing the new code.
    for name in [name for name in sys.modules if name == "app" or name.startswith("app.")]:
        del sys.modules[name]
    if problem:
        # Gunicorn prints a RuntimeError raised here as "Error: …" and exits with status 1.
        raise RuntimeError(problem)
    os.environ[_READY_DIR] = tempfile.mkdtemp(prefix="helpcenter-gunicorn-")


def when_ready(server):
    """Rolling reloads: retire surplus (old) workers only once the newest ones are warm."""
    retire = server.manage_workers

    def manage_workers():
        if len(server.WORKERS) > server.num_workers:
            _wait_until_warm(server)
        retire()

    server.manage_workers = manage_workers


def _wait_until_warm(server):
    ready_dir = os.environ[_READY_DIR]
    newest = sorted(server.WORKERS.items(), key=lambda item: item[1].age)[-server.num_workers:]
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        server.reap_workers()  # a new worker that died is no longer waited for (a boot error halts as always)
        waiting = [pid for pid, _ in newest
                   if pid in server.WORKERS and not os.path.exists(os.path.join(ready_dir, str(pid)))]
        if not waiting:
            break
        time.sleep(0.05)
    else:
        server.log.warning("Reload: new workers not warm after %.0f s, retiring the old ones anyway", READY_TIMEOUT)
    for name in os.listdir(ready_dir):  # pids of workers gone meanwhile
        if not name.isdigit() or int(name) not in server.WORKERS:
            try:
                os.unlink(os.path.join(ready_dir, name))
            except FileNotFoundError:
                pass


def post_fork(server, worker):
    """Card numbers masked in every log line a worker writes, from its first line on."""
    from app.privacy.logs import install_log_masking

    install_log_masking(server.log.error_log, server.log.access_log)


def post_worker_init(worker):
    """Warm up before the first request (app/core/warmup.py), then report ready."""
    started = time.monotonic()
    # The master kills a worker silent for GUNICORN_TIMEOUT: on a busy machine the warm-up can take that long.
    warming = threading.Event()

    def heartbeat():
        while not warming.wait(1):
            worker.notify()

    threading.Thread(target=heartbeat, daemon=True).start()
    try:
        from app.core.warmup import warm_up

        # Index and sentence model, every template, the holiday calendar, both languages' catalogues and
        # Babel data, SQLAlchemy's mappers, a database connection: under load a cold worker's first /agent or /anmelden took
        # 0.3-0.6 s instead of 10-60 ms.
        steps = warm_up(worker.wsgi)
        worker.log.info("Warm-up: %s", ", ".join(f"{name} {outcome}" for name, outcome in steps.items()))
    except Exception as exc:  # noqa: BLE001 - a cold worker still serves; the database may be away right now
        worker.log.warning("Warm-up failed (%s); serving cold", type(exc).__name__)
    finally:
        warming.set()
    worker.log.info("Worker warm in %.1f s", time.monotonic() - started)
    ready_dir = os.environ.get(_READY_DIR)
    if ready_dir and os.path.isdir(ready_dir):
        open(os.path.join(ready_dir, str(worker.pid)), "w").close()


def on_exit(server):
    shutil.rmtree(os.environ.get(_READY_DIR, ""), ignore_errors=True)
