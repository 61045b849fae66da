"""A private dovecot IMAP server for the tests: TLS on 127.0.0.1, one password, maildirs in a temp dir.

The tests' fixture starts one itself when `dovecot` is on the PATH; CI starts one for the whole run:

    python tests/imap_server.py --start ENV_FILE   # start, write `export HELPCENTER_TEST_IMAP_*=...` lines
    python tests/imap_server.py --stop ENV_FILE    # stop the server ENV_FILE describes, remove its directory

Nothing of the machine's own dovecot (/etc/dovecot, its service, its sockets) is used or touched: the
instance has its own configuration, base directory, certificate and log under one temp directory.
As root the master runs as root (dovecot needs that to switch users) and the mailbox belongs to `nobody`,
because dovecot refuses to run mail processes as root; as any other user everything runs as that user.
Any user name logs in with the one password (each pytest-xdist worker takes `helpcenter-gw0` … and so gets a
mailbox of its own); the env file names `helpcenter`.
"""
from __future__ import annotations

import argparse
import dataclasses
import grp
import imaplib
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "HELPCENTER_TEST_IMAP_"
USER = "helpcenter"
START_TIMEOUT = 20.0  # seconds until the TLS port must answer


@dataclass(frozen=True)
class ImapServer:
    """Where a test IMAP server listens and how to log in; `root` only for one this process started."""

    host: str
    port: int  # implicit TLS (IMAPS)
    user: str
    password: str
    ca_file: str
    starttls_port: int | None = None  # plain IMAP port that only allows login after STARTTLS
    root: str | None = None

    @classmethod
    def from_env(cls, env=None) -> ImapServer | None:
        """The server CI started (HELPCENTER_TEST_IMAP_HOST/_PORT/_USER/_PASSWORD/_CA_FILE), if set."""
        env = os.environ if env is None else env
        if not env.get(ENV_PREFIX + "HOST"):
            return None
        starttls = env.get(ENV_PREFIX + "STARTTLS_PORT")
        return cls(host=env[ENV_PREFIX + "HOST"], port=int(env[ENV_PREFIX + "PORT"]), user=env[ENV_PREFIX + "USER"],
                   password=env[ENV_PREFIX + "PASSWORD"], ca_file=env[ENV_PREFIX + "CA_FILE"],
                   starttls_port=int(starttls) if starttls else None, root=env.get(ENV_PREFIX + "ROOT") or None)

    def env(self) -> dict[str, str]:
        values = {"HOST": self.host, "PORT": str(self.port), "USER": self.user, "PASSWORD": self.password,
                  "CA_FILE": self.ca_file}
        if self.starttls_port:
            values["STARTTLS_PORT"] = str(self.starttls_port)
        if self.root:
            values["ROOT"] = self.root
        return {ENV_PREFIX + name: value for name, value in values.items()}

    def for_worker(self, worker: str | None) -> ImapServer:
        """This pytest-xdist worker's own user and mailbox on a server this script started (any user name
        logs in there); a server from elsewhere is used as it is."""
        if not worker or not self.root:
            return self
        return dataclasses.replace(self, user=f"{self.user}-{worker}")

    def connect(self) -> imaplib.IMAP4_SSL:
        """A logged-in connection that trusts the server's certificate."""
        context = ssl.create_default_context(cafile=self.ca_file)
        conn = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=10)
        conn.login(self.user, self.password)
        return conn


def dovecot_binary() -> str | None:
    """dovecot lives in /usr/sbin, which an ordinary user's PATH often lacks."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def dovecot_available() -> bool:
    return dovecot_binary() is not None and shutil.which("openssl") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost; the tests use it as their CA file."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def _config(root: Path, port: int, starttls_port: int, cert: Path, key: Path, as_root: bool, mail_user) -> str:
    me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    # Not root: every process runs as the current user, so dovecot must neither chroot nor switch users.
    users = "" if as_root else (f"default_internal_user = {me}\ndefault_internal_group = {group}\n"
                                f"default_login_user = {me}\n")
    no_chroot = "" if as_root else "  chroot =\n"
    return f"""# Test IMAP server written by tests/imap_server.py; not the machine's dovecot.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
instance_name = helpcenter-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain
# The tests try wrong passwords on purpose: no delay after a failed login, no penalty for the next ones.
auth_failure_delay = 0
# Any user name with the one password: each pytest-xdist worker logs in as a user (and mailbox) of its own.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=helpcenter {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = {min(mail_user.pw_uid, 500)}
first_valid_gid = 0
{users}service anvil {{
{no_chroot}  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
{no_chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
"""


def _wait_for_tls(port: int, ca_file: Path, log: Path, deadline: float) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    if tls.recv(100).startswith(b"* OK"):
                        return
        except OSError:
            pass
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
            raise RuntimeError(f"the test dovecot did not answer on 127.0.0.1:{port}:\n{tail}")
        time.sleep(0.05)


def start() -> ImapServer:
    """Start a dovecot in a temp directory of its own and wait until it answers."""
    root = Path(tempfile.mkdtemp(prefix="helpcenter-imap-"))
    try:
        return _start_in(root)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _start_in(root: Path) -> ImapServer:
    as_root = os.getuid() == 0
    mail_user = pwd.getpwnam("nobody") if as_root else pwd.getpwuid(os.getuid())
    if as_root:
        # dovecot's unprivileged helpers (auth as `dovecot`, mail as `nobody`) must reach files in here.
        root.chmod(0o755)
    cert, key = _make_certificate(root)
    password = secrets.token_urlsafe(18)
    passwd = root / "passwd"
    passwd.write_text(f"{USER}:{{PLAIN}}{password}\n")
    passwd.chmod(0o644)  # read by dovecot's auth process; a throwaway password for a throwaway server
    mail = root / "mail"
    mail.mkdir(exist_ok=True)
    if as_root:
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
    for sub in ("run", "state"):
        (root / sub).mkdir(exist_ok=True)
    port, starttls_port = _free_port(), _free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port, starttls_port, cert, key, as_root, mail_user))
    # dovecot forks into the background; --stop (or stop()) ends it through its master.pid.
    # Output to a file, not a pipe: the daemon's children inherit the descriptors and would keep a pipe open.
    errors = root / "start.err"
    with errors.open("w") as out:
        result = subprocess.run([dovecot_binary(), "-c", str(config)], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"dovecot did not start: {errors.read_text().strip()}")
    server = ImapServer(host="127.0.0.1", port=port, user=USER, password=password, ca_file=str(cert),
                        starttls_port=starttls_port, root=str(root))
    try:
        _wait_for_tls(port, cert, root / "dovecot.log", time.monotonic() + START_TIMEOUT)
    except BaseException:
        _stop_master(root)
        raise
    return server


def stop(server: ImapServer) -> None:
    """Stop the dovecot this script started and remove its directory."""
    if not server.root:
        return
    _stop_master(Path(server.root))
    shutil.rmtree(server.root, ignore_errors=True)


def _stop_master(root: Path) -> None:
    pid_file = root / "run" / "master.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pid = None
        deadline = time.monotonic() + 10
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)


def append_message(server: ImapServer, raw: bytes, folder: str = "INBOX", flags: str = "") -> int:
    """Put one raw RFC 5322 message into the mailbox, as a delivery would; return its UID."""
    conn = server.connect()
    try:
        typ, data = conn.append(folder, f"({flags})" if flags else None, None, raw)
        assert typ == "OK", data
        # dovecot answers with UIDPLUS: [APPENDUID <uidvalidity> <uid>]
        code = data[0].decode()
        return int(code.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
    finally:
        conn.logout()


def mailbox_flags(server: ImapServer, folder: str = "INBOX") -> dict[int, set[str]]:
    """UID → flags and keywords of every message in the folder."""
    conn = server.connect()
    try:
        conn.select(folder, readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        flags = {}
        for item in data:
            if not item:
                continue
            parsed = imaplib.ParseFlags(item)
            uid = int(item.split(b"UID ", 1)[1].split()[0].rstrip(b")"))
            flags[uid] = {flag.decode() for flag in parsed} - {"\\Recent"}  # \Recent: per session, not kept
        return flags
    finally:
        conn.logout()


def empty_mailbox(server: ImapServer, folder: str = "INBOX") -> None:
    """Delete every message in the folder, so each test starts with an empty mailbox."""
    conn = server.connect()
    try:
        conn.select(folder)
        typ, data = conn.uid("SEARCH", "ALL")
        if data and data[0]:
            conn.uid("STORE", b",".join(data[0].split()).decode(), "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()
        conn.close()
    finally:
        conn.logout()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--start", metavar="ENV_FILE", help="start a server, write its settings as shell exports")
    action.add_argument("--stop", metavar="ENV_FILE", help="stop the server ENV_FILE describes")
    args = parser.parse_args(argv)
    if args.start:
        started = time.monotonic()
        server = start()
        lines = [f"export {name}={shlex.quote(value)}" for name, value in server.env().items()]
        try:
            Path(args.start).write_text("\n".join(lines) + "\n")
            os.chmod(args.start, 0o600)
        except BaseException:
            stop(server)  # nobody would know how to stop it
            raise
        print(f"Test IMAP server (dovecot) on {server.host}:{server.port} in {time.monotonic() - started:.1f} s")
        return 0
    env_file = Path(args.stop)
    if not env_file.exists():
        return 0
    env = {}
    for line in env_file.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0] if value else ""
    server = ImapServer.from_env(env)
    if server:
        stop(server)
    env_file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
