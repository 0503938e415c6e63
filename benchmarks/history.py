"""A year of history: does the daily cost stay flat as the archive grows?

Synthesizes a year on a throw-away PostgreSQL: ``--papers`` papers of real text (the
sample corpus's titles and abstract sentences recombined, as ``make bench-rank`` does)
ingested evenly over 365 days, ``--readers`` readers with the judged personas' interests
and, for each of them, a digest of 10 papers every day of the year and a rating every
other day (bulk-loaded with COPY). Then it measures, on this machine:

- the index build at day 365 (``manage.py build_index``'s work, a process of its own):
  time and that process's own peak RSS;
- a fresh process loading that index (what each web and worker process does): time and
  added RSS;
- batches of ``--batch`` readers (``digest_send_batch``: rank, record, render, send to
  Django's in-memory mail backend) on day 1 (a week of papers in, no digest history) and
  on day 365 (a year of papers and digests): the median of ``BATCHES`` batches of
  different readers each day;
- the account page on day 365 (Django's test client in this process: server time, no
  network), each of ``--pages`` readers viewing it ``--views`` times;
- the nightly prune (``digests_prune``) a year on: deleting the oldest day's digests, then
  the next night's run with nothing older to delete.

With ``--index-only``, only the year's papers, the index build and its load (no readers).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import load_corpus  # noqa: E402
from benchmarks.processes import PYTHON, Postgres, _seed_subscribers  # noqa: E402

DAYS = 365
ITEMS_PER_DIGEST = 10


def _env(database_url: str, var_dir: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digest.settings",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var_dir),
        "DEBUG": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver,localhost",
    }


def _copy(connection, table: str, columns: str, lines) -> None:
    """COPY text-format ``lines`` into ``table``, a chunk at a time."""
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        chunk = []
        for line in lines:
            chunk.append(line)
            if len(chunk) == 200_000:
                copy.write("".join(chunk))
                chunk = []
        copy.write("".join(chunk))


def _text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _load_papers(connection, titles, abstracts, start: datetime, ids: range, per_day: float):
    """Papers ``ids`` of the synthetic texts, ``per_day`` of them a day from ``start`` on."""
    from digest.models import normalize_title

    def lines():
        for i in ids:
            at = start + timedelta(days=i / per_day)
            title, abstract = titles[i], abstracts[i]
            yield (
                f"{i + 1}\tbench\tbench.{i}\t1\t{_text(title)}\t"
                f"{_text(normalize_title(title)[:500])}\t{_text(abstract)}\t[]\t[]\tcs.LG\t"
                f"{at.date()}\t\t\t{i % 7}\t{at.isoformat()}\t{at.isoformat()}\n"
            )

    _copy(
        connection,
        "digest_paper",
        "id, source, external_id, version, title, title_key, abstract, authors, categories, "
        "primary_category, published, abs_url, pdf_url, upvotes, ingested_at, updated_at",
        lines(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('digest_paper', 'id'), "
            "(SELECT max(id) FROM digest_paper))"
        )


RATED_EVERY_DAYS = 2
"""Each reader rates the first paper of every other digest (a like, one in five a dislike):
182 ratings a year, an active reader's."""


def _load_history(connection, readers: list[int], first_day: datetime, per_day: float):
    """For every reader, a sent digest of 10 of the papers of the day before, days 1 to 364,
    and a rating every ``RATED_EVERY_DAYS`` days."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM digest_digest")
        next_id = cursor.fetchone()[0] + 1
    rng = np.random.default_rng(1)
    digests, items, ratings = [], [], []
    for day in range(DAYS - 1):
        at = (first_day + timedelta(days=day, hours=1)).isoformat()
        rated_at = (first_day + timedelta(days=day, hours=9)).isoformat()
        edition = (first_day + timedelta(days=day)).date()
        first, count = int(np.ceil(day * per_day)), int(per_day)
        starts = rng.integers(0, count, len(readers))
        for reader, start in zip(readers, starts.tolist(), strict=True):
            digests.append(f"{next_id}\t{reader}\t{edition}\tsent\t\t{at}\t{at}\t\t\t1\t\n")
            items.extend(
                f"{next_id}\t{first + 1 + (start + k) % count}\t{k + 1}\t0.5\t[]\n"
                for k in range(ITEMS_PER_DIGEST)
            )
            if (reader + day) % RATED_EVERY_DAYS == 0:
                value = -1 if (reader + day) % 5 == 0 else 1
                ratings.append(f"{reader}\t{first + 1 + start % count}\t{value}\t{rated_at}\n")
            next_id += 1
        if len(items) > 2_000_000 or day == DAYS - 2:
            _copy(
                connection,
                "digest_digest",
                "id, subscriber_id, edition, status, claim_token, created_at, sent_at, "
                "message_id, error, attempts, skip_reason",
                digests,
            )
            _copy(connection, "digest_digestitem", "digest_id, paper_id, rank, score, terms", items)
            _copy(
                connection, "digest_rating", "subscriber_id, paper_id, value, created_at", ratings
            )
            digests, items, ratings = [], [], []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('digest_digest', 'id'), "
            "(SELECT max(id) FROM digest_digest))"
        )
        cursor.execute("ANALYZE")


BATCHES = 3
"""Batches timed each day, of different readers; the figure is their median. One batch
alone moved from 0.77x to 1.28x day 365 / day 1 between full-size runs of the same code."""


def _batches(batches: list[list[int]], now: datetime) -> float:
    """The median time of sending each of ``batches`` (see ``_batch``), in seconds."""
    return statistics.median(_batch(ids, now) for ids in batches)


def _batch(ids: list[int], now: datetime) -> float:
    from digest import selectors, services

    selectors.corpus()  # a warm worker has the index loaded already
    start = time.perf_counter()
    result = services.digest_send_batch(subscriber_ids=ids, now=now, edition=now.date())
    elapsed = time.perf_counter() - start
    assert result.sent + result.skipped == len(ids), result
    return elapsed


def _account_pages(readers: list[int], views: int) -> list[float]:
    from django.test import Client

    from accounts.views import SESSION_KEY

    times = []
    clients = []
    for reader in readers:
        client = Client()
        session = client.session
        session[SESSION_KEY] = reader
        session.save()
        clients.append(client)
    for _ in range(views):
        for client in clients:
            start = time.perf_counter()
            response = client.get("/account/")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200
    return times


ADMIN_PAGES = {
    "digests": "/admin/digest/digest/",
    "digests of a reader": "/admin/digest/digest/?q=reader1%40example.org",
    "a digest": "/admin/digest/digest/{digest}/change/",
    "papers": "/admin/digest/paper/",
    "papers searched": "/admin/digest/paper/?q=sparse+attention",
    "subscribers": "/admin/accounts/subscriber/",
    "a subscriber": "/admin/accounts/subscriber/{reader}/change/",
    "ratings": "/admin/digest/rating/",
    "ratings of a reader": "/admin/digest/rating/?q=reader1%40example.org",
}
"""The staff's pages timed on day 365: the lists of the year's records and one of each."""


def _admin_pages(reader: int, digest: int) -> dict[str, float]:
    """Each of ``ADMIN_PAGES`` as a superuser sees it: the median of three views, in ms."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("staff", "staff@example.org"))
    times = {}
    for name, path in ADMIN_PAGES.items():
        views = []
        for _ in range(3):
            start = time.perf_counter()
            response = client.get(path.format(reader=reader, digest=digest))
            views.append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code)
        times[name] = statistics.median(views) * 1000
    return times


def _prune(first_day: datetime) -> tuple[float, int, float]:
    """The nightly prune once the oldest edition (``first_day``) is past retention: its time,
    the digests it deleted, and the time of a run with nothing to delete."""
    from django.conf import settings

    from digest import services

    now = first_day + timedelta(days=settings.DIGEST_RETENTION_DAYS + 1)
    start = time.perf_counter()
    pruned = services.digests_prune(now=now)
    day_s = time.perf_counter() - start
    start = time.perf_counter()
    assert services.digests_prune(now=now) == 0
    return day_s, pruned, time.perf_counter() - start


def _measure_load() -> None:
    """In a fresh process: the seconds and MiB it takes to load the current index."""
    import django
    import psutil

    django.setup()
    from digest import selectors

    process = psutil.Process()
    before = process.memory_info().rss
    start = time.perf_counter()
    data = selectors.corpus()
    elapsed = time.perf_counter() - start
    added = (process.memory_info().rss - before) / 2**20
    print(json.dumps({"seconds": elapsed, "mib": added, "papers": len(data.paper_ids)}))


def _measure_build() -> None:
    """In a fresh process: ``manage.py build_index``'s work, its seconds and this process's
    own peak RSS (``VmHWM``; ``ru_maxrss`` would be at least the spawning process's RSS,
    which Linux carries across exec: it gave this benchmark's 1.4 GiB of texts and
    history as the build's peak)."""
    import io

    import django

    django.setup()
    from django.core.management import call_command

    start = time.perf_counter()
    call_command("build_index", stdout=io.StringIO())
    elapsed = time.perf_counter() - start
    status = Path("/proc/self/status").read_text()
    peak_kib = int(
        next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]
    )
    print(json.dumps({"seconds": elapsed, "mib": peak_kib / 1024}))


def _measured(flag: str, env: dict) -> dict:
    """The JSON figures ``python -m benchmarks.history <flag>`` prints, in a fresh process."""
    return json.loads(
        subprocess.run(
            [PYTHON, "-m", "benchmarks.history", flag],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )


def _build_and_load(env: dict) -> tuple[float, float, dict]:
    """The index build in a process of its own (seconds, its peak MiB), then a fresh process
    loading the index (``_measure_load``'s figures)."""
    built = _measured("--measure-build", env)
    return built["seconds"], built["mib"], _measured("--measure-load", env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=150_000)
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pages", type=int, default=100, help="readers viewing their account")
    parser.add_argument("--views", type=int, default=5, help="views of the account page each")
    parser.add_argument("--papers-file", default=str(ROOT / "data" / "papers.jsonl"))
    parser.add_argument(
        "--index-only", action="store_true", help="only the papers, the index build and its load"
    )
    args = parser.parse_args()
    if args.papers < DAYS * ITEMS_PER_DIGEST:
        parser.error(f"--papers must be at least {DAYS * ITEMS_PER_DIGEST} (10 new a day)")

    postgres = Postgres().start()
    var_dir = Path(tempfile.mkdtemp(prefix="digest-history-"))
    try:
        env = _env(postgres.url, var_dir)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from accounts.models import Subscriber
        from benchmarks.rank import synthetic_papers  # sets Django up: after the environment

        t0 = time.perf_counter()
        call_command("migrate", "--no-input", verbosity=0)
        corpus = load_corpus(args.papers_file)
        titles, abstracts = synthetic_papers(corpus, args.papers, np.random.default_rng(0))
        per_day = args.papers / DAYS
        today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
        first_day = today - timedelta(days=DAYS - 1)
        connection.ensure_connection()
        raw = connection.connection
        if args.index_only:
            start = first_day - timedelta(days=1)
            _load_papers(raw, titles, abstracts, start, range(args.papers), per_day)
            del titles, abstracts
            build_s, build_mib, loaded = _build_and_load(env)
            print(
                f"bench-history: {args.papers} papers (index only); "
                f"index build {build_s:.1f}s peak {build_mib:.0f} MiB; "
                f"load {loaded['seconds']:.2f}s +{loaded['mib']:.0f} MiB; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            return
        _seed_subscribers(args.readers)
        readers = list(Subscriber.objects.order_by("id").values_list("id", flat=True))
        batches = [readers[i * args.batch : (i + 1) * args.batch] for i in range(BATCHES)]
        batches = [ids for ids in batches if ids]  # fewer readers than BATCHES batches
        batch = batches[0]

        # Day 1: the first week of papers in, no digest sent yet.
        week = int(per_day * 7)
        _load_papers(raw, titles, abstracts, first_day - timedelta(days=8), range(week), per_day)
        from digest import services

        services.index_build(now=first_day)
        if len(readers) > BATCHES * args.batch + 5:
            _batch(readers[-5:], first_day)  # warm up: templates, connections
        day_one = _batches(batches, first_day)
        print(f"day 1: {week} papers, batch of {len(batch)} in {day_one:.2f}s", flush=True)

        # The rest of the year, and a digest a day for every reader.
        with connection.cursor() as cursor:  # the papers again, with the year's dates
            for table in ("digest_rating", "digest_digestitem", "digest_digest", "digest_paper"):
                cursor.execute(f"DELETE FROM {table}")
        start = first_day - timedelta(days=1)
        _load_papers(raw, titles, abstracts, start, range(args.papers), per_day)
        _load_history(raw, readers, first_day, per_day)
        items = postgres.sql("SELECT count(*) FROM digest_digestitem")[0][0]
        ratings = postgres.sql("SELECT count(*) FROM digest_rating")[0][0]
        print(
            f"synthesized {args.papers} papers, {len(readers)} readers, {items} digest items, "
            f"{ratings} ratings in {time.perf_counter() - t0:.0f}s",
            flush=True,
        )

        build_s, build_mib, loaded = _build_and_load(env)
        day_365 = _batches(batches, today)
        others = readers[BATCHES * args.batch :]
        page_readers = others[: args.pages] or readers[: args.pages]
        pages = np.asarray(_account_pages(page_readers, args.views)) * 1000
        first_views = statistics.median(pages[: len(page_readers)])
        last_digest = postgres.sql("SELECT max(id) FROM digest_digest")[0][0]
        admin = _admin_pages(readers[0], last_digest)
        prune_day_s, pruned, prune_none_s = _prune(first_day)
        load = os.getloadavg()[0]
        print(
            f"bench-history: {args.papers} papers, {len(readers)} readers, {items} digest items, "
            f"{ratings} ratings; "
            f"index build {build_s:.1f}s peak {build_mib:.0f} MiB; "
            f"load {loaded['seconds']:.2f}s +{loaded['mib']:.0f} MiB; "
            f"batch of {len(batch)} day 1 {day_one:.2f}s, day 365 {day_365:.2f}s "
            f"({day_365 / day_one:.2f}x); account page p50 {np.percentile(pages, 50):.1f} ms "
            f"p99 {np.percentile(pages, 99):.1f} ms (first view {first_views:.0f} ms); "
            f"slowest admin page {max(admin, key=admin.get)} {max(admin.values()):.0f} ms; "
            f"load average {load:.1f}"
        )
        print("admin pages: " + ", ".join(f"{k} {v:.0f} ms" for k, v in admin.items()))
        print(
            f"prune: a day's {pruned} digests {prune_day_s:.2f}s, "
            f"nothing to delete {prune_none_s * 1000:.0f} ms"
        )
    finally:
        from django.db import connections

        connections.close_all()
        postgres.stop()


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure-load"]:
        _measure_load()
    elif sys.argv[1:] == ["--measure-build"]:
        _measure_build()
    else:
        main()
