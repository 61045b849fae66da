"""The load bench's visitors, customers and agents (Locust); started by bench/load.py, not on its own.

bench/load.py writes what the users need (search queries, article URLs, demo orders with their postcodes, the
sign-ins) to a JSON file named by HELPCENTER_LOAD_DATA and runs `locust -f bench/locustfile.py --headless`.
Every request is named by its URL pattern (the groups of the report). Each visitor comes from its own loopback
address (127.x.y.z) and becomes a new visitor (new address, no cookies) every few pages, so the per-address
rate limits meet what they would meet with real customers. Answers other than the expected ones are failures
named "HTTP <status>"; a request without any answer is a failure named by its exception.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.loopback import SourceAddressAdapter, address  # noqa: E402

DATA = json.loads(open(os.environ["HELPCENTER_LOAD_DATA"]).read()) if os.environ.get("HELPCENTER_LOAD_DATA") else {}
WAIT = tuple(float(x) for x in os.environ.get("HELPCENTER_LOAD_WAIT", "0.1,0.6").split(","))
_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# Loopback addresses 127.10.0.1 …: a random start per run, so the hourly limits of a previous run do not count.
_ADDRESSES = itertools.count(random.randrange(10**6))
# When each answer came (monotonic clock): bench/load.py finds the longest time without any answer.
ANSWERS: list[tuple[float, int]] = []


@events.request.add_listener
def _answered(response=None, exception=None, **_):
    if exception is None and response is not None:
        ANSWERS.append((time.monotonic(), response.status_code))


@events.quitting.add_listener
def _write_answers(**_):
    if os.environ.get("HELPCENTER_LOAD_ANSWERS"):
        with open(os.environ["HELPCENTER_LOAD_ANSWERS"], "w") as out:
            json.dump({"clock_now": time.monotonic(), "answers": ANSWERS}, out)


class Browser(HttpUser):
    """A browser: its own loopback address, cookies, the site's certificate and a Referer as browsers send."""

    abstract = True
    wait_time = between(*WAIT)

    def on_start(self):
        self.new_visit()

    def new_visit(self):
        self.client.cookies.clear()
        self.client.trust_env = False
        self.client.verify = DATA.get("ca_file") or True
        self.client.headers["Referer"] = self.host + "/"
        self.client.headers["Accept-Language"] = "de-DE,de;q=0.9"
        adapter = SourceAddressAdapter(address(next(_ADDRESSES)), pool_maxsize=2)
        self.client.mount("https://", adapter)
        self.client.mount("http://", adapter)

    def get(self, path, name, ok=(200,), **kwargs):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False, **kwargs) as answer:
            self._judge(answer, ok)
        return answer

    def post(self, path, name, ok=(200,), **kwargs):
        with self.client.post(path, name=name, catch_response=True, allow_redirects=False, **kwargs) as answer:
            self._judge(answer, ok)
        return answer

    @staticmethod
    def _judge(answer, ok):
        if answer.status_code in ok:
            answer.success()
        else:
            answer.failure(f"HTTP {answer.status_code}")

    def csrf_from(self, answer) -> str | None:
        found = _CSRF_FIELD.search(answer.text) or _CSRF_META.search(answer.text)
        return found.group(1) if found else None

    def sign_in(self, email, password):
        page = self.get("/anmelden", "/anmelden")
        token = self.csrf_from(page)
        self.post("/anmelden", "POST /anmelden", ok=(302, 303),
                  data={"email": email, "password": password, "csrf_token": token or ""})


class Visitor(Browser):
    """A guest: home, search (page and type-ahead API), articles, now and then tracking or the contact form."""

    weight = 6

    @task
    def next_visitor(self):
        self.new_visit()

    @task(3)
    def home(self):
        self.get("/", "/")

    @task(4)
    def search_page(self):
        self.get("/suche", "/suche?q=", params={"q": random.choice(DATA["queries"])})

    @task(8)
    def search_api(self):
        query = random.choice(DATA["queries"])
        # Type-ahead (as helpcenter.js asks: log=0) mostly, a settled query now and then (logged).
        params = {"q": query, "limit": 5} if random.random() < 0.25 else {"q": query, "limit": 5, "log": 0,
                                                                           "lang": "de"}
        self.get("/api/search", "/api/search?q=", params=params)

    @task(6)
    def article(self):
        self.get(random.choice(DATA["articles"]), "/hilfe/<category>/<slug>")

    @task(1)
    def guest_tracking(self):
        number, postcode = random.choice(DATA["orders"])
        form = self.get("/sendungsverfolgung", "/sendungsverfolgung")
        found = self.post("/sendungsverfolgung", "POST /sendungsverfolgung", ok=(302, 303),
                          data={"order_number": number, "postcode": postcode, "csrf_token": self.csrf_from(form) or ""})
        if found.status_code in (302, 303):
            self.get(found.headers["Location"], "/sendungsverfolgung/<number>")

    @task(1)
    def contact(self):
        form = self.get("/kontakt", "/kontakt")
        submission = re.search(r'name="submission_id"[^>]*value="([^"]+)"', form.text)
        sent = self.post("/kontakt", "POST /kontakt", ok=(302, 303), data={
            "csrf_token": self.csrf_from(form) or "", "submission_id": submission.group(1) if submission else "",
            "topic": "sonstiges", "channel": "email", "name": "Last Test",
            "message": f"Eine Frage zur Lieferung, bitte per E-Mail melden ({uuid.uuid4().hex[:8]}).",
            "email": f"load-{uuid.uuid4().hex[:10]}@example.com"})
        if sent.status_code in (302, 303):
            self.get(sent.headers["Location"], "/kontakt/anfrage/<number>")
        self.new_visit()  # the next request is another customer (a real one does not write twice a minute)


class Customer(Browser):
    """Anna, signed in: her account, her orders' tracking pages, the orders API; now and then she comes back
    another time (a new visit: new address, no cookies) and signs in again."""

    weight = 2

    def on_start(self):
        super().on_start()
        self.sign_in(*DATA["customer"])

    @task(1)
    def comes_back(self):
        self.new_visit()
        self.sign_in(*DATA["customer"])

    @task(1)
    def account(self):
        self.get("/konto", "/konto")

    @task(3)
    def order(self):
        self.get(f"/sendungsverfolgung/{random.choice(DATA['customer_orders'])}", "/sendungsverfolgung/<number>")

    @task(1)
    def orders_api(self):
        self.get("/api/orders", "/api/orders")


class Agent(Browser):
    """An agent with the console open: the cases list polled, the console reloaded, presence reported."""

    fixed_count = 1
    wait_time = between(1, 2)

    def on_start(self):
        super().on_start()
        self.sign_in(*DATA["agent"])
        self.token = self.csrf_from(self.get("/agent", "/agent"))
        queues = self.get("/api/agent/queues", "/api/agent/queues")
        self.queues = [q["name"] for q in queues.json()["queues"]] if queues.status_code == 200 else ["allgemein"]

    @task(2)
    def overview(self):
        self.get("/api/agent/queues", "/api/agent/queues")

    @task(3)
    def poll(self):
        self.get("/api/agent/cases", "/api/agent/cases?queue=", params={"queue": random.choice(self.queues)})

    @task(1)
    def console(self):
        self.token = self.csrf_from(self.get("/agent", "/agent")) or self.token

    @task(1)
    def presence(self):
        self.post("/api/agent/presence", "POST /api/agent/presence", ok=(200, 204),
                  json={"status": "online"}, headers={"X-CSRFToken": self.token or ""})
