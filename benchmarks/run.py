"""The whole daily run at scale: N subscribers, real PostgreSQL + Redis + Celery worker
(2 processes) delivering over SMTP to a sink on loopback.

    python benchmarks/run.py [--subscribers 100000] [--runs 3]      (make bench-run N=...)

Each run empties the digests, fires one tick (``manage.py send_digests``, what beat does)
and waits until every due digest is sent, skipped or failed. Prints each run, the
median, the worker's peak RSS (main process and children together), and one summary line.
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.processes import (  # noqa: E402
    Postgres,
    Redis,
    SmtpSink,
    Worker,
    django_env,
    manage,
    seed,
)

TARGET_SUBSCRIBERS, TARGET_SECONDS = 100_000, 300


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


def one_run(postgres: Postgres, sink: SmtpSink, env: dict, timeout: float, cpu: dict) -> dict:
    postgres.sql("TRUNCATE digest_digest, digest_digestitem, digest_digestrun CASCADE")
    sink.reset()
    cpu_before = {name: seconds() for name, seconds in cpu.items()}
    started = time.monotonic()
    manage(env, "send_digests")
    (due,) = postgres.sql("SELECT due FROM digest_digestrun ORDER BY id DESC LIMIT 1")[0]
    while True:
        counts = dict(postgres.sql("SELECT status, count(*) FROM digest_digest GROUP BY status"))
        done = sum(counts.get(s, 0) for s in ("sent", "skipped", "failed"))
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
        "delivered": delivered,
        "duplicates": sink.total - delivered,
        "lost": due - skipped - delivered,
        "duration": duration,
        "per_second": delivered / duration,
        "finished": done >= due,
        "cpu": {name: seconds() - cpu_before[name] for name, seconds in cpu.items()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per run")
    args = parser.parse_args()

    postgres, redis, sink = Postgres().start(), Redis().start(), SmtpSink().start()
    var = Path(tempfile.mkdtemp(prefix="bench-run-"))
    env = django_env(
        database_url=postgres.url,
        redis_url=redis.url,
        email_url=sink.url,
        var_dir=var,
        DIGEST_BATCH_SIZE=args.batch_size,
        LOG_LEVEL="WARNING",
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
            "smtp sink": time.process_time,
        }
        with PeakRss(worker) as rss:
            for number in range(1, args.runs + 1):
                r = one_run(postgres, sink, env, args.timeout, cpu)
                results.append(r)
                print(
                    f"run {number}: due={r['due']} sent={r['sent']} skipped={r['skipped']} "
                    f"failed={r['failed']} delivered={r['delivered']} "
                    f"duplicates={r['duplicates']} lost={r['lost']} "
                    f"duration={r['duration']:.1f}s {r['per_second']:.0f} messages/s"
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
        print(f"median duration {duration:.1f}s, median {rate:.0f} messages/s")
        print(f"worker peak RSS (main + 2 children): {peak_mb:.0f} MiB")
        # The target is for 100,000 readers; a smaller run is judged at its rate.
        projected = TARGET_SUBSCRIBERS / rate if rate else float("inf")
        ok = duplicates == 0 and lost == 0 and projected < TARGET_SECONDS
        print(
            f"bench-run {'OK' if ok else 'MISSED'}: {args.subscribers} subscribers, "
            f"due={last['due']} sent={last['sent']} duplicates={duplicates} lost={lost} "
            f"median {duration:.1f}s ({rate:.0f} msg/s; "
            f"{TARGET_SUBSCRIBERS} at this rate: {projected:.0f}s, "
            f"target < {TARGET_SECONDS}s) over {len(results)} runs, "
            f"worker peak RSS {peak_mb:.0f} MiB"
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
