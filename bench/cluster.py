"""A production-shaped help center on this machine, from the files in deploy/.

    with cluster() as site:          # nginx (TLS) → 2 gunicorn nodes × 4 workers, 2 outbox workers,
        site.base_url                # one PostgreSQL database, a private Redis, an SMTP sink
        site.nodes[0].url            # a node directly (its own index and instance directory)

Everything is started from deploy/nginx/helpcenter.conf, deploy/systemd/*.service (ExecStart) and
deploy/production.env.example, with only ports, paths and secrets substituted; a substitution that no
longer matches its file stops the cluster, so the drill can never run on a private copy. Used by
bench/cluster_drill.py, bench/fault_drills.py and the load bench. Needs Debian's nginx, redis-server,
openssl and the dev extra (aiosmtpd). Runs as any user; the private PostgreSQL needs root (it runs
initdb as the postgres user).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SHARED_POSTGRES = os.environ.get("HELPCENTER_CLUSTER_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"process {process.args[:3]} exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s") from None
            time.sleep(0.1)


def stop_process(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 30) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


# --- the files in deploy/, with substitutions -------------------------------------------------------------------

def substituted(text: str, replacements: dict[str, str], source: str) -> str:
    """text with each key replaced; a key that does not occur means the deploy file changed: stop."""
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"{source} no longer contains {old!r}: update bench/cluster.py")
        text = text.replace(old, new)
    return text


def exec_start(unit: str, venv_bin: Path = BIN) -> list[str]:
    """The ExecStart command of deploy/systemd/<unit>, run from this checkout's virtualenv."""
    text = (DEPLOY / "systemd" / unit).read_text()
    line = re.search(r"^ExecStart=(.+)$", text, re.M).group(1)
    line = substituted(line, {"/srv/helpcenter/.venv/bin/": f"{venv_bin}/"}, unit)
    return shlex.split(line)


def production_env(overrides: dict[str, str]) -> dict[str, str]:
    """deploy/production.env.example read as systemd reads it, with overrides (each must be a key of it)."""
    values = {}
    for line in (DEPLOY / "production.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    unknown = set(overrides) - set(values)
    if unknown:
        raise RuntimeError(f"deploy/production.env.example lacks {sorted(unknown)}")
    values.update(overrides)
    return values


def nginx_site(node_ports: list[int], http_port: int, https_port: int, cert: Path, key: Path) -> str:
    text = (DEPLOY / "nginx" / "helpcenter.conf").read_text()
    line = "    server 127.0.0.1:{} max_fails=1 fail_timeout=5s;"
    return substituted(text, {
        line.format(8000) + "\n" + line.format(8001): "\n".join(line.format(port) for port in node_ports),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server_name help.example.com;": "server_name 127.0.0.1;",
        "/etc/letsencrypt/live/help.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/help.example.com/privkey.pem": str(key),
        "/srv/helpcenter/": f"{ROOT}/",
        # On port 443 $host is what the browser sent; on the drill's own port the port must stay in it,
        # or Flask-WTF's https referrer check sees https://127.0.0.1:PORT/ as another origin.
        "proxy_set_header Host $host;": "proxy_set_header Host $http_host;",
    }, "deploy/nginx/helpcenter.conf")


NGINX_MAIN = """daemon off;
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/nginx-tmp/body;
    proxy_temp_path {work}/nginx-tmp/proxy;
    fastcgi_temp_path {work}/nginx-tmp/fastcgi;
    uwsgi_temp_path {work}/nginx-tmp/uwsgi;
    scgi_temp_path {work}/nginx-tmp/scgi;
    include {work}/helpcenter.conf;
}}
"""


# --- the parts around the app ------------------------------------------------------------------------------------

@dataclass
class Mail:
    message_id: str
    to: tuple[str, ...]
    subject: str


class SmtpSink:
    """A local SMTP server that keeps what it receives; stop() and start() simulate an outage."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[Mail] = []
        self.delay = 0.0  # seconds each mail takes (a slow server, so a drill can kill a worker mid-delivery)
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self._lock:
            self.received.append(Mail(message.get("Message-ID", ""), tuple(envelope.rcpt_tos),
                                      str(message.get("Subject", ""))))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def mails(self) -> list[Mail]:
        with self._lock:
            return list(self.received)


class RedisServer:
    """A private redis-server on its own port (never the machine's), in memory only."""

    def __init__(self, work: Path):
        self.port = free_port()
        self.work = work
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.work)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, 10, self.process)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


class PrivatePostgres:
    """A PostgreSQL instance of our own (initdb into a temp dir, another port), for drills that stop it."""

    def __init__(self, work: Path):
        self.port = free_port()
        self.data = work / "pgdata"
        self.log = work / "postgres.log"
        self._as_postgres = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> None:
        subprocess.run(self._as_postgres + list(args), check=check, capture_output=True, timeout=120)

    def init(self) -> None:
        self.data.mkdir(parents=True)
        if self._as_postgres:
            shutil.chown(self.data, "postgres", "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres", "postgres")
            os.chmod(self.data.parent, 0o755)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)


@contextlib.contextmanager
def scratch_database(server_url: str | None = None):
    """A fresh database helpcenter_cluster_<random> on server_url, dropped afterwards."""
    import sqlalchemy as sa

    server_url = server_url or SHARED_POSTGRES
    base = sa.engine.make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"helpcenter_cluster_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the cluster -------------------------------------------------------------------------------------------------

@dataclass
class Node:
    name: str
    port: int
    env: dict
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        out = open(self.log, "ab")
        self.process = subprocess.Popen(exec_start("helpcenter-web.service"), cwd=ROOT, env=self.env,
                                        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        wait_for_port(self.port, timeout, self.process)
        self.wait_warm(timeout)

    def workers(self) -> list[int]:
        """Pids of this node's gunicorn workers."""
        if not self.process:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def warm_workers(self) -> int:
        ready_dirs = list(Path(tempfile.gettempdir()).glob("helpcenter-gunicorn-*"))
        pids = set(self.workers())
        return sum(1 for d in ready_dirs for f in d.iterdir() if f.name.isdigit() and int(f.name) in pids)

    def wait_warm(self, timeout: float = 120) -> None:
        """Until every worker has reported warm (deploy/gunicorn.conf.py's post_worker_init)."""
        deadline = time.monotonic() + timeout
        wanted = int(self.env["WEB_CONCURRENCY"])
        while self.warm_workers() < wanted:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: workers not warm after {timeout:.0f} s")
            time.sleep(0.2)

    def reload(self) -> None:
        """`systemctl reload helpcenter-web` (ExecReload=kill -HUP $MAINPID)."""
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class Cluster:
    work: Path
    database_url: str
    base_url: str
    http_url: str
    env: dict
    nodes: list[Node]
    outbox: list[subprocess.Popen] = field(default_factory=list)
    smtp: SmtpSink | None = None
    redis: RedisServer | None = None
    nginx: subprocess.Popen | None = None
    ca_file: str = ""

    def flask(self, *args: str, node: int = 0, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """`flask --app wsgi …` with a node's environment."""
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.nodes[node].env,
                              capture_output=True, text=True, check=check, timeout=timeout)

    def start_outbox_worker(self) -> subprocess.Popen:
        command = exec_start("helpcenter-outbox.service") + ["--interval", "0.5"]
        log = open(self.work / f"outbox-{len(self.outbox)}.log", "ab")
        worker = subprocess.Popen(command, cwd=ROOT, env=self.nodes[len(self.outbox) % len(self.nodes)].env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.outbox.append(worker)
        return worker

    def session(self):
        """A requests session for the site through nginx (TLS with the cluster's own certificate)."""
        import requests

        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the cluster's certificate
        session.verify = self.ca_file
        # Over https Flask-WTF checks that a form came from this site's pages, as a browser's Referer says.
        session.headers["Referer"] = self.base_url + "/"
        return session


def _certificate(work: Path) -> tuple[Path, Path]:
    cert, key = work / "tls.crt", work / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@contextlib.contextmanager
def cluster(*, nodes: int = 2, workers: int = 4, outbox_workers: int = 2, database_url: str | None = None,
            content_dir: Path = ROOT / "content", demo: bool = True, keep: bool = False, extra_env: dict | None = None):
    """Start nginx + `nodes` gunicorn nodes + outbox workers (+ Redis, SMTP sink, a scratch database); yield a
    Cluster and tear everything down afterwards (keep=True leaves the work directory for its logs)."""
    work = Path(tempfile.mkdtemp(prefix="helpcenter-cluster-"))
    os.chmod(work, 0o755)  # nginx's workers (user nobody) read the certificate paths' parent
    stack = contextlib.ExitStack()
    try:
        if database_url is None:
            database_url = stack.enter_context(scratch_database())
        smtp = SmtpSink()
        smtp.start()
        stack.callback(smtp.stop)
        redis = RedisServer(work)
        redis.start()
        stack.callback(lambda: redis.stop())
        http_port, https_port = free_port(), free_port()
        base_url = f"https://127.0.0.1:{https_port}"
        common = {
            "SECRET_KEY": uuid.uuid4().hex * 2, "DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": redis.url,
            "HELPCENTER_BASE_URL": base_url, "HELPCENTER_CONTENT_DIR": str(content_dir),
            "WEB_CONCURRENCY": str(workers), "HELPCENTER_SMTP_HOST": "127.0.0.1",
            "HELPCENTER_SMTP_PORT": str(smtp.port), "HELPCENTER_SMTP_STARTTLS": "false",
            "HELPCENTER_MAIL_FROM": "Nordlicht Kundenservice <service@nordlicht.example>",
            # The demo editor signs in with a password (production would require a second factor).
            "HELPCENTER_STAFF_2FA": "optional", "GUNICORN_GRACEFUL_TIMEOUT": "10",
            **(extra_env or {}),
        }
        node_list = []
        for i in range(nodes):
            port = free_port()
            env = production_env(dict(common, GUNICORN_BIND=f"127.0.0.1:{port}",
                                      HELPCENTER_INDEX_DIR=str(work / f"node{i}" / "search_index"),
                                      HELPCENTER_INSTANCE_DIR=str(work / f"node{i}" / "instance")))
            env = {**{k: v for k, v in os.environ.items() if not k.startswith(("HELPCENTER_", "GUNICORN_"))},
                   **env}
            node_list.append(Node(f"node{i}", port, env, work / f"node{i}.log"))
        site = Cluster(work, database_url, base_url, f"http://127.0.0.1:{http_port}", common, node_list,
                       smtp=smtp, redis=redis)
        site.flask("db", "upgrade")
        site.flask("content", "import", "--if-empty")
        if demo:
            site.flask("demo", "load")
        for node in node_list:
            stack.callback(node.stop)
        # One node after the other: each builds its own index (under its own lock) and warms its workers.
        for i, node in enumerate(node_list):
            site.flask("index", "update", node=i)
            node.start()
        for _ in range(outbox_workers):
            site.start_outbox_worker()
        stack.callback(lambda: [stop_process(w) for w in site.outbox])

        cert, key = _certificate(work)
        site.ca_file = str(cert)
        (work / "nginx-tmp").mkdir()
        (work / "helpcenter.conf").write_text(nginx_site([n.port for n in node_list], http_port, https_port,
                                                         cert, key))
        (work / "nginx.conf").write_text(NGINX_MAIN.format(work=work))
        subprocess.run([NGINX, "-t", "-q", "-p", str(work), "-c", str(work / "nginx.conf"), "-e",
                        str(work / "nginx-error.log")], check=True, capture_output=True, timeout=30)
        site.nginx = subprocess.Popen([NGINX, "-p", str(work), "-c", str(work / "nginx.conf"), "-e",
                                       str(work / "nginx-error.log")], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        stack.callback(lambda: stop_process(site.nginx, signal.SIGQUIT))
        wait_for_port(https_port, 20, site.nginx)
        yield site
    finally:
        stack.close()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"cluster logs kept in {work}", file=sys.stderr)
