"""The subscribe and account pages under load: gunicorn (2 workers) on a free loopback port
over PostgreSQL + Redis, driven by this second process with a small threaded HTTP client.

    python benchmarks/web.py [--requests 2000] [--threads 8] [--rounds 3]   (make bench-web)

Scenarios, each ``--rounds`` times, each round bounded by ``--requests`` requests and
``--max-seconds``:
  subscribe  GET / for the form and its CSRF token, then POST / with a new email and
             interests (the confirmation email goes to an SMTP sink on loopback)
  account    GET /account/ as a signed-in reader (signed in once through a sign-in link)
Each request is timed; prints p50/p99 latency, requests/s (median of the rounds) and
errors per scenario, the server's peak RSS, and one summary line. The per-IP/per-email
rate limits are lifted for the run: every request comes from 127.0.0.1.
"""

import argparse
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.processes import (  # noqa: E402
    ROOT,
    Postgres,
    Redis,
    SmtpSink,
    django_env,
    free_port,
    manage,
    seed,
    wait_for,
)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
INTERESTS = "speech recognition, diffusion transformers, protein folding"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Server:
    def __init__(self, env, workers: int):
        self.env, self.workers = env, workers
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [
                gunicorn,
                "digest.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        wait_for(self._up, timeout=30, interval=0.2, what="gunicorn")
        return self

    def _up(self):
        """The subscribe page answers (not /healthz: it also asks for a Celery worker and
        beat, which this benchmark does not start)."""
        try:
            return requests.get(self.url + "/", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    def rss(self) -> int:
        parent = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def subscribe_once(session: requests.Session, url: str, number: int) -> list[tuple[float, bool]]:
    timings = []
    started = time.perf_counter()
    form = session.get(url + "/", timeout=30)
    timings.append((time.perf_counter() - started, form.status_code == 200))
    token = CSRF.search(form.text)
    started = time.perf_counter()
    done = session.post(
        url + "/",
        data={
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "email": f"visitor{number}@example.org",
            "interests": INTERESTS,
        },
        headers={"Referer": url + "/"},
        timeout=30,
    )
    ok = done.status_code == 200 and "inbox" in done.text.lower()
    timings.append((time.perf_counter() - started, ok))
    return timings


def account_once(session: requests.Session, url: str, number: int) -> list[tuple[float, bool]]:
    started = time.perf_counter()
    page = session.get(url + "/account/", timeout=30, allow_redirects=False)
    return [(time.perf_counter() - started, page.status_code == 200)]


def load(scenario, sessions, url, requests_limit, max_seconds, numbers):
    """Run ``scenario`` from one thread per session until the limits; (timings, seconds)."""
    timings, lock = [], threading.Lock()
    deadline = time.monotonic() + max_seconds

    def worker(session):
        while time.monotonic() < deadline:
            with lock:
                if len(timings) >= requests_limit:
                    return
                number = next(numbers)
            result = scenario(session, url, number)
            with lock:
                timings.extend(result)

    started = time.monotonic()
    with ThreadPoolExecutor(len(sessions)) as pool:
        list(pool.map(worker, sessions))
    return timings, time.monotonic() - started


def press_button(
    session: requests.Session, link: str, page, data: dict | None = None, **kwargs
) -> requests.Response:
    """POST the form of ``page`` (at ``link``) with ``data`` and its CSRF token, as its
    button does."""
    token = CSRF.search(page.text)
    return session.post(
        link,
        {**(data or {}), "csrfmiddlewaretoken": token.group(1) if token else ""},
        headers={"Referer": link},
        **kwargs,
    )


def signed_in_sessions(env, url, count) -> list[requests.Session]:
    code = (
        "from accounts.models import Subscriber; from accounts import links; "
        f"[print(links.signin_url(s)) for s in Subscriber.objects.order_by('id')[:{count}]]"
    )
    sessions = []
    links = [line for line in manage(env, "shell", "-c", code).split() if "/signin/" in line]
    for link in links:
        session = requests.Session()
        link = link.replace(env["SITE_URL"], url)
        page = session.get(link, timeout=30)  # the link's page; its button signs in
        response = press_button(session, link, page, timeout=30)
        if not response.url.endswith("/account/"):
            raise SystemExit(f"sign-in link did not sign in: {response.status_code} {response.url}")
        sessions.append(session)
    return sessions


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per scenario and round")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=60, help="per scenario and round")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    postgres, redis, sink = Postgres().start(), Redis().start(), SmtpSink().start()
    port = free_port()
    env = django_env(
        database_url=postgres.url,
        redis_url=redis.url,
        email_url=sink.url,
        var_dir=Path(tempfile.mkdtemp(prefix="bench-web-")),
        PORT=port,
        SITE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
        ACCOUNT_RATE_PER_IP="100000000/h",
        ACCOUNT_RATE_PER_EMAIL="100000000/h",
    )
    server = None
    try:
        seed(env, subscribers=1000)
        server = Server(env, args.workers)
        server.start()
        url = server.url
        numbers = itertools.count()
        scenarios = {
            "subscribe": (
                subscribe_once,
                lambda: [requests.Session() for _ in range(args.threads)],
            ),
            "account": (account_once, lambda: signed_in_sessions(env, url, args.threads)),
        }
        summary, peak = {}, 0
        for name, (scenario, make_sessions) in scenarios.items():
            rates, all_timings = [], []
            for number in range(1, args.rounds + 1):
                sessions = make_sessions()
                timings, seconds = load(
                    scenario, sessions, url, args.requests, args.max_seconds, numbers
                )
                peak = max(peak, server.rss())
                rates.append(len(timings) / seconds)
                all_timings.extend(timings)
                latencies = [t for t, _ in timings]
                print(
                    f"{name} round {number}: {len(timings)} requests in {seconds:.1f}s, "
                    f"{rates[-1]:.0f} req/s, p50 {percentile(latencies, 50) * 1000:.1f} ms, "
                    f"p99 {percentile(latencies, 99) * 1000:.1f} ms, "
                    f"errors {sum(not ok for _, ok in timings)}",
                    flush=True,
                )
            latencies = [t for t, _ in all_timings]
            summary[name] = (
                percentile(latencies, 50) * 1000,
                percentile(latencies, 99) * 1000,
                statistics.median(rates),
                sum(not ok for _, ok in all_timings),
            )
        (confirmations,) = postgres.sql(
            "SELECT count(*) FROM accounts_subscriber WHERE email LIKE 'visitor%%'"
        )[0]
        print(
            f"new subscribers stored: {confirmations}, their confirmation emails queued for a "
            f"Celery worker (none runs here; {sink.total} at the sink); "
            f"gunicorn peak RSS {peak / 2**20:.0f} MiB"
        )
        print(
            "bench-web: "
            + "; ".join(
                f"{name} p50 {p50:.1f} ms p99 {p99:.1f} ms {rate:.0f} req/s errors {errors}"
                for name, (p50, p99, rate, errors) in summary.items()
            )
            + f" ({args.workers} gunicorn workers, {args.threads} client threads)"
        )
        return 0 if all(errors == 0 for *_, errors in summary.values()) else 1
    finally:
        if server and server.process and server.process.poll() is None:
            server.stop()
        sink.stop()
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
