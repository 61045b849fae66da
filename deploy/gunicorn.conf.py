"""Gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` from the project root.

Copy and adapt it; every value can also be overridden on the command line. What it guarantees:
- the access log never holds a query string or a referrer (search terms, card numbers typed into a
  search box, tokens in links): it logs the method, the path without query, status, size and time;
- in production, several workers with per-worker (in-memory) rate limits refuse to start.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# A worker is replaced after this many requests (plus jitter), so slow leaks never add up.
max_requests = 2000
max_requests_jitter = 200

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(U)s is the path without the query string; no %(r)s (request line) and no %(f)s (referrer).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def on_starting(server):
    """Stop before the first worker if several workers would each count rate limits on their own."""
    from app.config import per_worker_rate_limits

    problem = per_worker_rate_limits(os.environ, server.cfg.workers)
    if problem:
        # Gunicorn prints a RuntimeError raised here as "Error: …" and exits with status 1.
        raise RuntimeError(problem)


def post_fork(server, worker):
    """Card numbers masked in every log line a worker writes, from its first line on."""
    from app.privacy.logs import install_log_masking

    install_log_masking(server.log.error_log, server.log.access_log)
