"""The whole daily run at scale: N subscribers, real PostgreSQL + Redis + Celery worker
(2 processes) delivering over SMTP to a sink on loopback, or (provider mode, with
``--esp-latency-ms``) through anymail's Postmark backend to a loopback stand-in of
Postmark's API that answers after that latency and fails some calls.

    python benchmarks/run.py [--subscribers 100000] [--runs 3]      (make bench-run N=...)
    python benchmarks/run.py --esp-latency-ms 150 [--esp-5xx 0.01 --esp-429 0.01]
                                                  (make bench-run ESP_LATENCY_MS=150 N=...)

Each run empties the digests, fires one tick (``manage.py send_digests``, what beat does)
and waits until every due digest is sent, skipped or failed. Prints each run, the
median, the worker's peak RSS (main process and children together), and one summary line.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.processes import (  # noqa: E402
    Postgres,
    PostmarkStandIn,
    Redis,
    SmtpSink,
    Worker,
    django_env,
    manage,
    seed,
)

TARGET_SUBSCRIBERS = 100_000
TARGET_SECONDS = {"smtp": 300, "provider": 500}


class PeakRss:
    """Samples the worker's memory twice a second in a thread."""

    def __init__(self, worker: Worker):
        self.worker, self.peak, self._stop = worker, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, self.worker.rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def one_run(postgres: Postgres, sink, env: dict, timeout: float, cpu: dict) -> dict:
    postgres.sql("TRUNCATE digest_digest, digest_digestitem, digest_digestrun CASCADE")
    sink.reset()
    cpu_before = {name: seconds() for name, seconds in cpu.items()}
    started = time.monotonic()
    manage(env, "send_digests")
    (due,) = postgres.sql("SELECT due FROM digest_digestrun ORDER BY id DESC LIMIT 1")[0]
    while True:
        counts = dict(
            postgres.sql(
                "SELECT CASE WHEN status = 'sending' AND claim_token = '' THEN 'interrupted'"
                " ELSE status END, count(*) FROM digest_digest GROUP BY 1"
            )
        )
        done = sum(counts.get(s, 0) for s in ("sent", "skipped", "failed", "interrupted"))
        if done >= due or time.monotonic() - started > timeout:
            break
        time.sleep(0.5)
    duration = time.monotonic() - started
    delivered = len(sink.received)
    skipped = counts.get("skipped", 0)
    return {
        "due": due,
        "sent": counts.get("sent", 0),
        "skipped": skipped,
        "failed": counts.get("failed", 0),
        "interrupted": counts.get("interrupted", 0),
        "delivered": delivered,
        "duplicates": sink.total - delivered,
        "lost": due - skipped - delivered,
        "duration": duration,
        "per_second": delivered / duration,
        "max_in_flight": getattr(sink, "max_in_flight", None),
        "finished": done >= due,
        "cpu": {name: seconds() - cpu_before[name] for name, seconds in cpu.items()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per run")
    parser.add_argument(
        "--esp-latency-ms", type=float, help="provider mode: the stand-in answers this late"
    )
    parser.add_argument("--esp-jitter-ms", type=float, help="± this (default: latency / 3)")
    parser.add_argument("--esp-5xx", type=float, default=0.01, help="share of 503 answers")
    parser.add_argument("--esp-429", type=float, default=0.01, help="share of 429 answers")
    parser.add_argument(
        "--esp-500", type=float, default=0.0, help="share of 500 answers after taking the message"
    )
    parser.add_argument("--concurrency", type=int, help="DIGEST_SEND_CONCURRENCY")
    args = parser.parse_args()

    mode = "smtp" if args.esp_latency_ms is None else "provider"
    postgres, redis = Postgres().start(), Redis().start()
    var = Path(tempfile.mkdtemp(prefix="bench-run-"))
    settings = {"DIGEST_BATCH_SIZE": args.batch_size, "LOG_LEVEL": "WARNING"}
    if args.concurrency:
        settings["DIGEST_SEND_CONCURRENCY"] = args.concurrency
    if mode == "smtp":
        sink = SmtpSink().start()
        email_url = sink.url
    else:
        latency = args.esp_latency_ms / 1000
        jitter = latency / 3 if args.esp_jitter_ms is None else args.esp_jitter_ms / 1000
        sink = PostmarkStandIn(
            latency=latency,
            jitter=jitter,
            throttle_rate=args.esp_429,
            unavailable_rate=args.esp_5xx,
            error_rate=args.esp_500,
        ).start()
        email_url = None
        settings |= sink.email_settings
        print(
            f"provider mode: {latency * 1000:.0f} ± {jitter * 1000:.0f} ms, "
            f"{args.esp_5xx:.1%} 503, {args.esp_429:.1%} 429, {args.esp_500:.1%} 500"
        )
    env = django_env(
        database_url=postgres.url,
        redis_url=redis.url,
        email_url=email_url,
        var_dir=var,
        **settings,
    )
    worker = None
    try:
        t0 = time.monotonic()
        seed(env, subscribers=args.subscribers)
        print(f"seeded {args.subscribers} subscribers in {time.monotonic() - t0:.1f}s")
        worker = Worker(env, concurrency=2, log_path=var / "worker.log").start()
        results = []
        # CPU seconds of each part of the stack during a run (they share the machine's cores).
        cpu = {
            "worker": worker.cpu_seconds,
            "postgres": postgres.cpu_seconds,
            "redis": redis.cpu_seconds,
            "smtp sink" if mode == "smtp" else "provider stand-in": time.process_time,
        }
        with PeakRss(worker) as rss:
            for number in range(1, args.runs + 1):
                r = one_run(postgres, sink, env, args.timeout, cpu)
                results.append(r)
                print(
                    f"run {number}: due={r['due']} sent={r['sent']} skipped={r['skipped']} "
                    f"failed={r['failed']} interrupted={r['interrupted']} "
                    f"delivered={r['delivered']} "
                    f"duplicates={r['duplicates']} lost={r['lost']} "
                    f"duration={r['duration']:.1f}s {r['per_second']:.0f} messages/s"
                    + (f" max in flight {r['max_in_flight']}" if mode == "provider" else "")
                    + ("" if r["finished"] else " (NOT FINISHED: timeout)"),
                    flush=True,
                )
                print(
                    "  CPU ms per message: "
                    + ", ".join(
                        f"{name} {1000 * seconds / max(r['delivered'], 1):.1f}"
                        for name, seconds in r["cpu"].items()
                    ),
                    flush=True,
                )
        duration = statistics.median(r["duration"] for r in results)
        rate = statistics.median(r["per_second"] for r in results)
        duplicates = sum(r["duplicates"] for r in results)
        lost = sum(r["lost"] for r in results)
        peak_mb = rss.peak / 2**20
        last = results[-1]
        cpu_ms = 1000 * sum(last["cpu"].values()) / max(last["delivered"], 1)
        print(f"median duration {duration:.1f}s, median {rate:.0f} messages/s")
        print(f"worker peak RSS (main + 2 children): {peak_mb:.0f} MiB")
        # The target is for 100,000 readers; a smaller run is judged at its rate.
        projected = TARGET_SUBSCRIBERS / rate if rate else float("inf")
        ok = duplicates == 0 and lost == 0 and projected < TARGET_SECONDS[mode]
        in_flight = f"max in flight {last['max_in_flight']}, " if mode == "provider" else ""
        print(
            f"bench-run {mode} {'OK' if ok else 'MISSED'}: {args.subscribers} subscribers, "
            f"due={last['due']} sent={last['sent']} interrupted={last['interrupted']} "
            f"duplicates={duplicates} lost={lost} "
            f"median {duration:.1f}s ({rate:.0f} msg/s; "
            f"{TARGET_SUBSCRIBERS} at this rate: {projected:.0f}s, "
            f"target < {TARGET_SECONDS[mode]}s) over {len(results)} runs, {in_flight}"
            f"CPU {cpu_ms:.1f} ms/message, worker peak RSS {peak_mb:.0f} MiB, "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        return 0 if ok else 1
    finally:
        if worker:
            worker.stop()
        sink.stop()
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
