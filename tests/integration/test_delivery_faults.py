"""Randomized faults against real PostgreSQL, Redis and Celery workers delivering to the
Postmark stand-in (and, in some trials, the SMTP sink): claim and visibility timeouts
shorter than a batch (so live batches are redelivered and their claims contested), the
worker's process group or one pool process SIGKILLed at a random moment, Redis stopped and
started again empty, PostgreSQL stopped as in a crash (every connection dropped) and
started again, on a cluster that acknowledges commits before they are written
(``synchronous_commit=off``, which only the durable commit of a claim withstands).
Whatever happens, no reader gets two digests; a reader without one has their digest
marked interrupted, at most one message in flight per killed process's thread; the
database and the runs' counts agree with what the provider received.

DELIVERY_FAULT_TRIALS (default 50) and DELIVERY_FAULT_SEED (default: random, printed)
repeat a failing sequence.
"""

import os
import random
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from celery import Celery

from benchmarks.processes import PostmarkStandIn, wait_for

pytestmark = pytest.mark.integration

TRIALS = int(os.environ.get("DELIVERY_FAULT_TRIALS", 50))
SEED = int(os.environ.get("DELIVERY_FAULT_SEED", random.randrange(2**32)))
READERS = 45  # three batches of 15, each longer than the claim and visibility timeouts
CONCURRENCY = 2
PROCESSES = 2
SMTP_TRIALS = TRIALS // 5  # the last fifth go through the SMTP sink
STUCK_AFTER = 30  # seconds without progress after which a worker counts as stuck


@pytest.fixture(scope="module")
def provider():
    stand_in = PostmarkStandIn(
        latency=0.2,
        jitter=0.1,
        throttle_rate=0.03,
        unavailable_rate=0.03,
        error_rate=0.02,  # 500 after taking the message: never sent again
        hang_rate=0.01,  # took it, answers after the sender's timeout: never sent again
        hang=1.5,
        seed=SEED,
    ).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def envs(base_env, provider, smtp_server):
    short = {
        "DIGEST_BATCH_SIZE": "15",
        "DIGEST_CLAIM_TIMEOUT": "2",  # above the longest send (1 s timeout), below a batch
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "DIGEST_RETRY_BACKOFF": "1",
        "DIGEST_SEND_CONCURRENCY": str(CONCURRENCY),
        "DIGEST_SEND_RATE": "150",
        "LOG_LEVEL": "WARNING",
    }
    through_provider = {k: v for k, v in base_env.items() if k != "EMAIL_URL"}
    through_provider |= short | provider.email_settings | {"ANYMAIL_REQUESTS_TIMEOUT": "1"}
    return {"provider": through_provider, "smtp": base_env | short}


class Trial:
    def __init__(self, stack, redis_server, edition: date, rng: random.Random):
        self.stack, self.redis, self.edition, self.rng = stack, redis_server, edition, rng
        self.sql = stack.postgres.sql

    def tick(self):
        """What beat does, published straight to the broker (retrying while Redis restarts)."""
        client = Celery(broker=self.redis.url)
        try:
            client.send_task(
                "digest.tasks.send_due_digests",
                args=[self.edition.isoformat()],
                retry=True,
                retry_policy={"max_retries": 20, "interval_start": 0.2, "interval_step": 0.2},
            )
        finally:
            client.close()

    def digests(self) -> dict[str, tuple[str, str]]:
        """Each reader's digest of this edition: (status, claim token), by email."""
        rows = self.sql(
            "SELECT s.email, d.status, d.claim_token FROM accounts_subscriber s"
            " LEFT JOIN digest_digest d ON d.subscriber_id = s.id AND d.edition = %s",
            self.edition,
        )
        return {email: (status, token) for email, status, token in rows}

    def settled(self) -> dict | None:
        digests = self.digests()
        done = all(
            status in ("sent", "skipped", "failed") or (status == "sending" and not token)
            for status, token in digests.values()
        )
        return digests if done else None

    def settle(self, worker, *, timeout: float = 120) -> tuple[dict, object, int]:
        """Wait until every reader's digest is settled, ticking again now and then (a tick
        is what recovers batches a Redis restart lost); the digests, the worker and how
        many times it was replaced.

        A worker that makes no progress for ``STUCK_AFTER`` s is replaced, as its health
        check (``celery inspect ping``, then SIGTERM) gets it restarted in compose: seen
        here after a Redis restart, when the worker's consumer stopped and it took no task
        any more (celery/celery#10302).
        Replacing it is a kill, so its messages in flight may end up interrupted.
        """
        deadline = time.monotonic() + timeout
        replaced, last, changed_at = 0, None, time.monotonic()
        while time.monotonic() < deadline:
            try:
                return (
                    wait_for(self.settled, timeout=6, interval=0.2, what="settled"),
                    worker,
                    replaced,
                )
            except TimeoutError:
                now = self.digests()
                if now != last:
                    last, changed_at = now, time.monotonic()
                elif time.monotonic() - changed_at > STUCK_AFTER:
                    print(
                        f"no progress for {STUCK_AFTER} s: replacing the worker\n"
                        f"{worker.log()[-2000:]}"
                    )
                    worker.kill()
                    worker = self.stack.worker()
                    replaced += 1
                    changed_at = time.monotonic()
                self.tick()
        log = self.stack.workers[-1].log()[-4000:]
        raise AssertionError(f"not settled: {Counter(self.digests().values())}\n{log}")

    def run_counts(self) -> Counter:
        names = ("sent", "skipped", "failed", "interrupted")
        [sums] = self.sql(
            "SELECT "
            + ", ".join(f"coalesce(sum({n}), 0)" for n in names)
            + " FROM digest_digestrun WHERE edition = %s",
            self.edition,
        )
        return Counter(dict(zip(names, sums, strict=True)))


def test_no_reader_ever_gets_two_digests_whatever_fails(
    stack, redis_server, provider, smtp_server, envs
):
    print(f"\ndelivery faults: seed {SEED}, {TRIALS} trials (DELIVERY_FAULT_SEED to repeat)")
    rng = random.Random(SEED)
    emails = set(stack.seed(READERS))
    worker, mode = None, None
    for number in range(TRIALS):
        trial_mode = "smtp" if number >= TRIALS - SMTP_TRIALS else "provider"
        sink = smtp_server if trial_mode == "smtp" else provider
        if trial_mode != mode:
            if worker:
                worker.stop()
            stack.env, mode = envs[trial_mode], trial_mode
            worker = stack.worker()
        # Items of earlier trials would make readers run out of papers ("already sent").
        stack.postgres.sql("TRUNCATE digest_digestitem")
        provider.reset()
        smtp_server.reset()
        if mode == "smtp":
            smtp_server.refuse("451 4.7.1 try again later", times=rng.randrange(3))
        trial = Trial(stack, redis_server, date(2030, 1, 1) + timedelta(days=number), rng)
        faults, killed_threads = [], 0

        started = time.monotonic()
        trial.tick()
        if rng.random() < 0.6:
            time.sleep(rng.uniform(0.2, 2.5))
            if rng.random() < 0.5:
                worker.kill()
                killed_threads += PROCESSES * CONCURRENCY
                faults.append("kill group")
                time.sleep(rng.uniform(0, 1))
                worker = stack.worker()
            else:
                worker.kill_pool_process(rng)
                killed_threads += CONCURRENCY
                faults.append("kill pool process")
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0, 1.5))
            redis_server.restart(down=rng.uniform(0, 0.5))
            faults.append("redis restart")
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0, 1.5))
            stack.postgres.restart(down=rng.uniform(0, 0.5))
            # A message in flight when its outcome could not be stored stays "sending".
            killed_threads += PROCESSES * CONCURRENCY
            faults.append("postgres restart")
        digests, worker, replaced = trial.settle(worker)
        if replaced:
            killed_threads += replaced * PROCESSES * CONCURRENCY
            faults.append(f"stuck worker replaced {replaced}x")

        received = Counter(sink.received)
        statuses = Counter(status for status, _ in digests.values())
        interrupted = {e for e, (status, _) in digests.items() if status == "sending"}
        sent = {e for e, (status, _) in digests.items() if status == "sent"}
        missing = emails - set(received)
        print(
            f"trial {number} {mode} {'+'.join(faults) or 'no kill'}: {dict(statuses)}, "
            f"received {sum(received.values())}, without a digest {len(missing)}, "
            f"{time.monotonic() - started:.1f}s"
        )
        assert set(received) <= emails
        assert [e for e, n in received.items() if n > 1] == [], f"duplicates (seed {SEED})"
        assert sent <= set(received)
        unsent = {e for e, (s, _) in digests.items() if s in ("skipped", "failed")}
        assert missing <= interrupted | unsent
        assert len(missing & interrupted) <= killed_threads
        assert len(sent) + len(interrupted & set(received)) == sum(received.values())
        runs = trial.run_counts()
        assert runs == Counter(
            sent=len(sent),
            skipped=statuses["skipped"],
            failed=statuses["failed"],
            interrupted=len(interrupted),
        ), f"runs {runs} vs digests {statuses}"
