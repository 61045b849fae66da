"""Several nodes, for real: `python bench/cluster_drill.py [--cases 40] [--workers 4]` prints a report.

Debian's nginx (deploy/nginx/helpcenter.conf, TLS) load-balances two gunicorn nodes (deploy/gunicorn.conf.py,
four workers each, their own index and instance directories) on one PostgreSQL database and one Redis, with
two outbox workers mailing to a local SMTP sink (bench/cluster.py). The drill proves:
  1. a session started on one node works on the other,
  2. rate limits hold across nodes,
  3. an article changed on disk (`content import`) and one changed through the articles API are served and
     found by search on both nodes within 10 s,
  4. cases submitted concurrently through nginx exist once each, with gapless numbers,
  5. every acknowledgement mail leaves exactly once,
  6. an attachment sent to one node is downloaded by an agent on the other (their instance directories differ).
Exit status 0 when every check holds.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import re
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cluster import ROOT, Cluster, cluster  # noqa: E402
from bench.loopback import SourceAddressAdapter, address  # noqa: E402

ARTICLE_FILE = "sendungsverfolgung/sendung-verfolgen.md"
ARTICLE_URL = "/hilfe/sendungsverfolgung/sendung-verfolgen"
CUSTOMER = ("anna.schmidt@example.com", "demo-kunde")
EDITOR = ("editor@example.com", "demo-editor")
AGENT = ("agent@example.com", "demo-agent")
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        print(f"[{'ok' if ok else 'FAIL'}] {name}: {detail}", flush=True)
        return ok

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def client(site: Cluster, address: str | None = None) -> requests.Session:
    session = site.session()
    if address:
        session.mount("https://", SourceAddressAdapter(address))
        session.mount("http://", SourceAddressAdapter(address))
    return session


_DIRECT = requests.Session()
_DIRECT.trust_env = False


def direct(node_url: str, path: str, *, cookies: dict | None = None, method: str = "GET", client_ip="198.51.100.9",
           **kwargs) -> requests.Response:
    """A request straight to one node, as nginx would pass it on (https, one forwarded client address)."""
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": client_ip, "Host": "127.0.0.1",
               **kwargs.pop("headers", {})}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return _DIRECT.request(method, node_url + path, headers=headers, timeout=30, **kwargs)


# --- the checks -----------------------------------------------------------------------------------------------------

def check_session(site: Cluster, report: Report) -> None:
    a, b = site.nodes[0].url, site.nodes[1].url
    login = direct(a, "/api/auth/login", method="POST", json={"email": CUSTOMER[0], "password": CUSTOMER[1]})
    cookies = {c.name: c.value for c in login.cookies}
    on_b = direct(b, "/api/auth/me", cookies=cookies)
    on_a = direct(a, "/api/auth/me", cookies=cookies)
    through = client(site)
    through.post(site.base_url + "/api/auth/login", json={"email": CUSTOMER[0], "password": CUSTOMER[1]})
    seen = [through.get(site.base_url + "/api/auth/me").status_code for _ in range(8)]
    ok = (login.status_code == 200 and on_b.status_code == 200 and CUSTOMER[0] in on_b.text
          and on_a.status_code == 200 and seen == [200] * 8)
    report.add("session on both nodes", ok,
               f"signed in on node0 ({login.status_code}), /api/auth/me on node1 {on_b.status_code}, "
               f"on node0 {on_a.status_code}; 8 requests through nginx: {collections.Counter(seen)}")
    token = through.get(site.base_url + "/api/auth/csrf").json()["csrf_token"]
    out = through.post(site.base_url + "/api/auth/logout", headers={"X-CSRFToken": token}).status_code
    after = [direct(node.url, "/api/auth/me", cookies=cookies).status_code for node in site.nodes]
    report.add("logout ends the session on every node", out == 204 and after == [401, 401],
               f"logout through nginx {out}; the first sign-in's cookie on node0, node1: {after}")


def check_rate_limit(site: Cluster, report: Report) -> None:
    ip = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    statuses = []
    for attempt in range(12):
        node = site.nodes[attempt % 2].url
        statuses.append(direct(node, "/api/tracking/lookup", method="POST", client_ip=ip,
                               json={"order_number": "1", "postcode": "1"}).status_code)
    ok = statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]
    report.add("rate limit shared by the nodes", ok,
               f"guest lookups alternating node0/node1 from one address: {statuses} (10 allowed per window)")


def _found_everywhere(site: Cluster, word: str, slug: str, timeout: float = 10) -> tuple[bool, float, list]:
    start = time.monotonic()
    pending = {(node.name, what) for node in site.nodes for what in ("page", "search")}
    while pending and time.monotonic() - start < timeout + 0.5:
        for node in site.nodes:
            if (node.name, "page") in pending and word in direct(node.url, ARTICLE_URL).text:
                pending.discard((node.name, "page"))
            if (node.name, "search") in pending:
                hits = direct(node.url, f"/api/search?q={word}&limit=5").json().get("results", [])
                if any(hit.get("slug") == slug for hit in hits):
                    pending.discard((node.name, "search"))
        if pending:
            time.sleep(0.2)
    elapsed = time.monotonic() - start
    return not pending and elapsed <= timeout, elapsed, sorted(pending)


def check_article_on_disk(site: Cluster, report: Report, content: Path) -> None:
    word = f"Drillwort{uuid.uuid4().hex[:6]}"
    path = content / ARTICLE_FILE
    path.write_text(path.read_text() + f"\n\nNeu im Drill: {word}.\n")
    started = time.monotonic()
    result = site.flask("content", "import", str(content), check=False)
    imported = time.monotonic() - started
    ok, elapsed, missing = _found_everywhere(site, word, Path(ARTICLE_FILE).stem)
    report.add("article changed on disk, on both nodes within 10 s", ok and result.returncode == 0,
               f"content import {imported:.1f} s ({result.stdout.strip().splitlines()[-1:]}), then page and "
               f"search on both nodes after {elapsed:.1f} s" + (f"; missing {missing}" if missing else ""))


def check_article_through_api(site: Cluster, report: Report) -> None:
    editor = client(site)
    token = _CSRF_META.search(editor.get(site.base_url + "/anmelden").text).group(1)
    signed_in = editor.post(site.base_url + "/anmelden", data={"email": EDITOR[0], "password": EDITOR[1],
                                                                "csrf_token": token}, allow_redirects=False)
    slug = Path(ARTICLE_FILE).stem
    current = editor.get(f"{site.base_url}/api/articles/{slug}").json()
    if "body" not in current:
        report.add("article changed through the API", False, f"sign-in {signed_in.status_code} "
                   f"{signed_in.headers.get('Location')}, GET /api/articles/{slug}: {current}")
        return
    word = f"Apiwort{uuid.uuid4().hex[:6]}"
    change = {k: current[k] for k in ("title", "summary", "tags", "category", "related", "body")}
    change["body"] += f"\n\nÜber die Schnittstelle geändert: {word}."
    api_token = editor.get(site.base_url + "/api/auth/csrf").json()["csrf_token"]
    saved = editor.put(f"{site.base_url}/api/articles/{slug}", json=dict(change, status="published"),
                       headers={"If-Match": f'"{current["revision"]}"', "X-CSRFToken": api_token})
    ok, elapsed, missing = _found_everywhere(site, word, slug)
    report.add("article changed through the API, on both nodes within 10 s", ok and saved.status_code == 200,
               f"editor sign-in {signed_in.status_code}, PUT {saved.status_code}; page and search on both "
               f"nodes after {elapsed:.1f} s" + (f"; missing {missing}" if missing else ""))


def _cookies(response: requests.Response, jar: dict | None = None) -> dict:
    jar = dict(jar or {})
    jar.update({c.name: c.value for c in response.cookies})
    return jar


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def check_upload_across_nodes(site: Cluster, report: Report) -> None:
    """A customer's attachment sent to node 0 is downloaded by an agent signed in on node 1."""
    import sqlalchemy as sa

    a, b = site.nodes[0].url, site.nodes[1].url
    tag = uuid.uuid4().hex[:8]
    pdf = b"%PDF-1.4\n% drill " + tag.encode() + b"\n%%EOF\n"
    form = direct(a, "/kontakt")
    jar = _cookies(form)
    # Flask-WTF checks the Referer of https form posts, as a browser sends it.
    sent = direct(a, "/kontakt", method="POST", cookies=jar, allow_redirects=False,
                  headers={"Referer": "https://127.0.0.1/kontakt"}, data={
        "csrf_token": _form_token(form.text), "topic": "zahlung", "channel": "email", "name": "Drill Anhang",
        "email": f"drill-upload-{tag}@example.com", "message": f"Mein Kontoauszug als Beleg, Drill {tag}."},
        files=[("attachments", ("kontoauszug.pdf", pdf, "application/pdf"))])
    engine = sa.create_engine(site.database_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT c.number, a.id FROM support_case c JOIN case_attachment a ON a.case_id = c.id "
            "WHERE c.contact_email = :email"), {"email": f"drill-upload-{tag}@example.com"}).first()
    engine.dispose()
    if row is None:
        report.add("attachment from node0 downloaded on node1", False,
                   f"contact form on node0 answered {sent.status_code}; no attachment stored")
        return
    sign_in = direct(b, "/anmelden")
    agent = _cookies(sign_in)
    signed = direct(b, "/anmelden", method="POST", cookies=agent, allow_redirects=False,
                    headers={"Referer": "https://127.0.0.1/anmelden"}, data={
        "email": AGENT[0], "password": AGENT[1], "csrf_token": _form_token(sign_in.text)})
    agent = _cookies(signed, agent)
    download = direct(b, f"/agent/anfrage/{row[0]}/anhang/{row[1]}", cookies=agent)
    report.add("attachment from node0 downloaded on node1", sent.status_code == 302 and download.status_code == 200
               and download.content == pdf,
               f"contact form with a PDF on node0 {sent.status_code}, case {row[0]}; agent sign-in on node1 "
               f"{signed.status_code}, download on node1 {download.status_code} "
               f"({'same bytes' if download.content == pdf else 'other bytes'}, "
               f"{download.headers.get('Content-Type')})")


def submit_case(site: Cluster, i: int, tag: str) -> tuple[int, str | None]:
    session = client(site, address(i))
    try:
        token = session.get(site.base_url + "/api/auth/csrf", timeout=30).json()["csrf_token"]
        answer = session.post(site.base_url + "/api/cases", timeout=30, headers={"X-CSRFToken": token}, json={
            "topic": "zahlung", "message": f"Frage zu meiner Zahlung: Drill {tag} Nummer {i}.", "channel": "email",
            "name": f"Drill Kunde {i}", "email": f"drill-{tag}-{i}@example.com"})
        return answer.status_code, answer.json().get("case_number") if answer.status_code == 201 else None
    except (requests.RequestException, ValueError) as exc:
        return -1, type(exc).__name__


def check_cases_and_mails(site: Cluster, report: Report, count: int) -> None:
    import sqlalchemy as sa

    tag = uuid.uuid4().hex[:6]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: submit_case(site, i, tag), range(count)))
    statuses = collections.Counter(status for status, _ in answers)
    engine = sa.create_engine(site.database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT number, contact_email FROM support_case WHERE contact_email LIKE :p"),
                            {"p": f"drill-{tag}-%"}).all()
        all_numbers = [r[0] for r in conn.execute(sa.text("SELECT number FROM support_case"))]
    engine.dispose()
    per_email = collections.Counter(email for _, email in rows)
    acknowledged = {number for status, number in answers if status == 201}
    stored = {number for number, _ in rows}
    report.add("every case exists once", statuses == {201: count} and len(rows) == count
               and max(per_email.values(), default=0) == 1 and acknowledged == stored,
               f"{count} submitted from {count} addresses through nginx from 16 threads: answers {dict(statuses)}; "
               f"stored {len(rows)}, duplicates {sum(n - 1 for n in per_email.values())}")
    years = collections.defaultdict(list)
    for number in all_numbers:
        prefix, _, tail = number.rpartition("-")
        years[prefix].append(int(tail))
    gaps = {prefix: sorted(set(range(min(v), max(v) + 1)) - set(v)) for prefix, v in years.items()}
    report.add("case numbers gapless", not any(gaps.values()) and len(all_numbers) == len(set(all_numbers)),
               f"{len(all_numbers)} cases in the database, numbers {min(all_numbers)} … {max(all_numbers)}, "
               f"gaps {dict((k, v) for k, v in gaps.items() if v) or 'none'}")

    deadline = time.monotonic() + 60
    wanted = {f"drill-{tag}-{i}@example.com" for i in range(count)}
    while time.monotonic() < deadline:
        mailed = collections.Counter(rcpt for mail in site.smtp.mails() for rcpt in mail.to if rcpt in wanted)
        if set(mailed) == wanted:
            break
        time.sleep(0.5)
    time.sleep(2)  # a second copy would arrive within a round of the other outbox worker
    mailed = collections.Counter(rcpt for mail in site.smtp.mails() for rcpt in mail.to if rcpt in wanted)
    ids = collections.Counter(mail.message_id for mail in site.smtp.mails() if set(mail.to) & wanted)
    report.add("every acknowledgement mailed exactly once", set(mailed) == wanted and max(mailed.values()) == 1,
               f"{len(mailed)} of {count} addresses got mail, {sum(mailed.values())} mails, "
               f"{sum(1 for n in ids.values() if n > 1)} Message-IDs twice, by {len(site.outbox)} outbox workers")


def run(cases: int = 40, workers: int = 4, keep: bool = False, then=None) -> Report:
    """The drill's checks on a fresh cluster; `then(site)`, if given, runs on the same cluster afterwards
    (the test suite's short load run, which so does not start a cluster of its own)."""
    report = Report()
    started = time.monotonic()
    content = Path(tempfile.mkdtemp(prefix="helpcenter-drill-content-"))
    shutil.rmtree(content)
    shutil.copytree(ROOT / "content", content)
    try:
        with cluster(workers=workers, content_dir=content, keep=keep) as site:
            print(f"cluster up in {time.monotonic() - started:.0f} s: {site.base_url} → "
                  f"{', '.join(n.url for n in site.nodes)}; {workers} workers per node", flush=True)
            static = site.session().get(site.base_url + "/static/css/helpcenter.css")
            report.add("static files from nginx", static.status_code == 200 and "immutable" in
                       static.headers.get("Cache-Control", ""), f"{static.status_code}, "
                       f"Cache-Control {static.headers.get('Cache-Control')}")
            plain = _DIRECT.get(site.http_url + "/hilfe", allow_redirects=False, timeout=10)
            report.add("http redirects to https", plain.status_code == 301, f"{plain.status_code}")
            for check in (check_session, check_rate_limit, lambda s, r: check_article_on_disk(s, r, content),
                          check_article_through_api, check_upload_across_nodes,
                          lambda s, r: check_cases_and_mails(s, r, cases)):
                try:
                    check(site, report)
                except Exception as exc:  # noqa: BLE001 - a broken check is a failed check, the rest still run
                    report.add(getattr(check, "__name__", "check"), False, f"{type(exc).__name__}: {exc}")
            if then is not None:
                then(site)
    finally:
        shutil.rmtree(content, ignore_errors=True)
    print(f"{'ALL CHECKS HOLD' if report.ok else 'SOME CHECKS FAILED'} ({time.monotonic() - started:.0f} s)")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per node")
    parser.add_argument("--keep", action="store_true", help="keep the cluster's work directory (logs)")
    args = parser.parse_args()
    return 0 if run(args.cases, args.workers, args.keep).ok else 1


if __name__ == "__main__":
    sys.exit(main())
