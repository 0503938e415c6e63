"""The paper index is built once per ingest, shared through INDEX_DIR, never fitted on demand."""

import json
import os
import pickle
import re
from datetime import date, timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Interest, Subscriber
from accounts.views import SESSION_KEY
from digest import index_store, selectors, services, tasks
from digest.models import Digest, DigestItem, Paper
from digest.ranking import PaperIndex
from digest.sources.base import PaperRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    reader = Subscriber.objects.create(
        email="reader@example.org", status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now()
    )
    Interest.objects.create(subscriber=reader, phrase="speech recognition")
    return reader


@pytest.fixture
def fits(monkeypatch):
    """Counts every ``PaperIndex.fit`` in this process (the real fit still runs)."""
    calls = []
    fit = PaperIndex.fit.__func__

    def counted(cls, *args, **kwargs):
        calls.append(1)
        return fit(cls, *args, **kwargs)

    monkeypatch.setattr(PaperIndex, "fit", classmethod(counted))
    return calls


def _preview(response) -> str:
    """The preview section's text, without its forms' per-render CSRF tokens."""
    section = response.content.decode().split('id="preview"')[1].split("</section>")[0]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", section)


def _sign_in(client, reader):
    session = client.session
    session[SESSION_KEY] = reader.id
    session.save()


def test_pages_and_batches_never_fit_the_index_only_the_task_after_an_ingest_does(
    client, reader, sample_corpus_path, fits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    assert len(fits) == 1 and selectors.corpus().index is not None

    _sign_in(client, reader)
    assert "speech" in client.get("/account/").content.decode().split('id="preview"')[1].lower()
    services.digest_send_batch(subscriber_ids=[reader.id], now=timezone.now())
    client.post("/account/interests/", {"phrases": "diffusion models"})
    client.get("/account/")

    assert len(mail.outbox) == 1
    assert len(fits) == 1


def test_digests_wait_for_the_first_index_and_go_out_once_it_is_built(
    reader, sample_corpus_path, build_index, django_capture_on_commit_callbacks, monkeypatch
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)  # its build never runs
    # The tick queues a build, which another worker has not finished when the batch starts.
    monkeypatch.setattr(tasks.build_index, "delay", lambda: None)

    # The batch task asks to be retried later (eager mode raises the request).
    with (
        pytest.raises(Retry, match="not built yet"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_digests", date=timezone.localdate())
    assert mail.outbox == [] and not Digest.objects.exists()  # nobody claimed or skipped

    build_index()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", date=timezone.localdate())
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]


def _without_sentence_terms(fields):
    """As written before the index had its sentences' terms."""
    fields.pop("__format__")
    fields.pop("sentence_terms")


def _with_earlier_stems(fields):
    """As written before "tokenization" had a stem of its own ("token")."""
    fields["__format__"] = ("format", (*index_store.FORMAT[:-1], "stems 1"))


def _built_by_an_earlier_release(earlier, corpus_path, build_index, settings, monkeypatch):
    """The sample papers stored and their index rewritten as ``earlier`` wrote it, then
    read by a new process, as after a deploy; the index version is returned."""
    call_command("ingest_papers", str(corpus_path), verbosity=0)
    old = build_index()
    rest = settings.INDEX_DIR / old / "rest.pkl"
    fields = pickle.loads(rest.read_bytes())
    earlier(fields)
    rest.write_bytes(pickle.dumps(fields))
    os.utime(settings.INDEX_DIR / index_store.CURRENT)  # what a deploy's new process sees
    monkeypatch.setattr(selectors, "_stored_index", index_store.Reader())  # a new process
    return old


@pytest.mark.parametrize("earlier", [_without_sentence_terms, _with_earlier_stems])
def test_an_index_an_earlier_release_built_is_not_used_and_the_next_tick_rebuilds_it(
    earlier,
    reader,
    sample_corpus_path,
    build_index,
    settings,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    old = _built_by_an_earlier_release(
        earlier, sample_corpus_path, build_index, settings, monkeypatch
    )

    assert selectors.corpus().index is None  # the preview says it is being prepared

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", date=timezone.localdate())
    assert selectors.corpus().version not in ("", old)
    # Built before the tick's batches run, so the tick after a deploy (or `make demo` run
    # again after a pull) sends instead of waiting for the retry.
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]


def test_an_ingest_with_nothing_new_rebuilds_an_index_an_earlier_release_built(
    sample_corpus_path, build_index, settings, django_capture_on_commit_callbacks, monkeypatch
):
    old = _built_by_an_earlier_release(
        _with_earlier_stems, sample_corpus_path, build_index, settings, monkeypatch
    )

    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest_papers", str(sample_corpus_path), verbosity=0)  # 0 new

    assert selectors.corpus().version not in ("", old)


def test_a_process_switches_to_a_new_version_when_one_is_built(
    reader, sample_corpus_path, build_index
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    first = build_index()
    assert selectors.corpus().version == first
    paper = Paper.objects.create(source="test", title="A late paper on speech recognition")

    second = build_index()

    assert second != first and selectors.corpus().version == second
    assert paper.id in selectors.corpus().paper_ids


def test_papers_ingested_after_the_build_are_ranked_with_the_stored_vocabulary(
    reader, sample_corpus_path, build_index
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    build_index()
    services.papers_upsert(
        records=[
            PaperRecord(
                external_id="2611.99999",
                title="Streaming speech recognition with tiny transducers",
                abstract="We study speech recognition on phones: a streaming transducer.",
            )
        ],
        source="test",
    )
    new = Paper.objects.get(external_id="2611.99999")
    assert new.id not in selectors.corpus().paper_ids

    picks = selectors.recommendations_for([reader], now=timezone.now())[reader.id]

    assert new.id in [p.paper_id for p in picks[:3]]


def test_the_index_holds_only_the_papers_of_its_window(reader, build_index, settings):
    settings.INDEX_WINDOW_DAYS = 30
    old = Paper.objects.create(
        source="test",
        title="Speech recognition in 1990",
        ingested_at=timezone.now() - timedelta(days=31),
    )
    recent = Paper.objects.create(source="test", title="Speech recognition now")

    build_index()

    assert list(selectors.corpus().paper_ids) == [recent.id]
    assert old.id not in selectors.corpus().paper_ids


def test_a_build_with_no_paper_in_its_window_keeps_no_index(build_index, settings):
    settings.INDEX_WINDOW_DAYS = 30
    Paper.objects.create(
        source="test",
        title="Speech recognition in 1990",
        ingested_at=timezone.now() - timedelta(days=31),
    )

    assert build_index() is None
    assert selectors.corpus().index is None


def test_an_upvote_refresh_rewrites_the_priors_not_the_model(
    sample_corpus_path, build_index, settings, tmp_path, django_capture_on_commit_callbacks, fits
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    first = build_index()
    assert selectors.corpus().index.popularity.max() > 0  # the sample has upvoted papers
    records = [json.loads(line) for line in sample_corpus_path.read_text().splitlines() if line]
    upvoted = tmp_path / "no-upvotes.jsonl"
    upvoted.write_text("\n".join(json.dumps({**r, "upvotes": 0}) for r in records))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest_papers", str(upvoted), verbosity=0)

    second = selectors.corpus().version
    assert second != first and len(fits) == 1  # only the first build fitted
    assert selectors.corpus().index.popularity.max() == 0
    model = "matrix.data.npy"
    inode = [os.stat(settings.INDEX_DIR / v / model).st_ino for v in (first, second)]
    assert inode[0] == inode[1]  # the model's arrays are shared, not rewritten


def test_a_priors_refresh_never_replaces_a_newer_build(sample_corpus_path, build_index, settings):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    build_index()
    stale = selectors.corpus()
    newer = build_index()

    with pytest.raises(index_store.VersionChanged):
        index_store.save(
            settings.INDEX_DIR,
            stale.index,
            {"paper_id": stale.paper_ids, "ingested_at": stale.ingested_at},
            based_on=stale.version,
        )
    assert index_store.current_version(settings.INDEX_DIR) == newer


def test_digests_older_than_the_retention_period_are_deleted_and_the_export_says_so(
    client, reader, settings
):
    settings.DIGEST_RETENTION_DAYS = 30
    paper = Paper.objects.create(source="test", title="Speech recognition")
    today = timezone.now().date()
    for age in (31, 40, 29):
        digest = Digest.objects.create(
            subscriber=reader, edition=today - timedelta(days=age), status=Digest.Status.SENT
        )
        DigestItem.objects.create(digest=digest, paper=paper, rank=1, score=0.5)

    deleted = services.digests_prune(now=timezone.now(), chunk_size=1)

    assert deleted == 2
    assert list(Digest.objects.values_list("edition", flat=True)) == [today - timedelta(days=29)]
    assert DigestItem.objects.count() == 1
    _sign_in(client, reader)
    export = json.loads(client.get("/account/export/").content)
    assert export["digests_kept_days"] == 30 and len(export["digests"]) == 1


def test_the_account_page_ranks_again_only_when_something_changed(
    client, reader, sample_corpus_path, build_index, monkeypatch
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    build_index()
    ranked = []
    recommend = selectors.recommend
    monkeypatch.setattr(
        selectors, "recommend", lambda *a, **k: ranked.append(1) or recommend(*a, **k)
    )
    _sign_in(client, reader)

    first = _preview(client.get("/account/"))
    again = _preview(client.get("/account/"))
    assert len(ranked) == 1 and first == again and "speech" in first.lower()

    client.post("/account/interests/", {"phrases": "protein folding"})
    client.get("/account/")
    assert len(ranked) == 2

    build_index()
    client.get("/account/")
    assert len(ranked) == 3


def test_the_cached_preview_leaves_out_a_paper_once_it_was_sent(
    client, reader, sample_corpus_path, build_index
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    build_index()
    _sign_in(client, reader)
    first = _preview(client.get("/account/"))

    services.digest_send_batch(subscriber_ids=[reader.id], now=timezone.now())
    sent = set(DigestItem.objects.values_list("paper__title", flat=True))

    after = _preview(client.get("/account/"))
    assert sent and not any(title in after for title in sent)
    assert first != after


def test_nothing_is_sent_twice_across_the_year(reader, sample_corpus_path, build_index, settings):
    """Already-sent is read only for the batch's candidates, from recent digests."""
    settings.DIGEST_CANDIDATE_DAYS = 7
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    build_index()
    now = timezone.now()
    first = services.digest_send_batch(subscriber_ids=[reader.id], now=now)
    second = services.digest_send_batch(
        subscriber_ids=[reader.id], now=now, edition=date.today() + timedelta(days=1)
    )

    assert first.sent == 1
    per_paper = DigestItem.objects.values_list("paper_id", flat=True)
    assert len(per_paper) == len(set(per_paper)) and second.sent + second.skipped == 1
