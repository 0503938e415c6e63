import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AccountMail, Subscriber
from digest.models import Digest, DigestItem, DigestRun, IngestRun, Paper, Rating


@pytest.fixture
def staff(admin_client):
    return admin_client


def changelist(model):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


@pytest.mark.django_db
def test_every_model_has_a_working_list_and_detail_page(staff, subscriber):
    paper = Paper.objects.create(source="arxiv", title="Conformer", abstract="speech")
    digest = Digest.objects.create(subscriber=subscriber, edition=timezone.localdate())
    DigestItem.objects.create(digest=digest, paper=paper, rank=1, score=0.5, terms=["speech"])
    Rating.objects.create(subscriber=subscriber, paper=paper, value=1)
    IngestRun.objects.create(source="arxiv", seen=3, new=2, error="timeout")
    DigestRun.objects.create(due=4, sent=3, skipped=1, finished_at=timezone.now())
    AccountMail.objects.create(kind="signin", address="reader@example.org")
    for model in [Subscriber, Paper, Digest, Rating, IngestRun, DigestRun, AccountMail]:
        page = staff.get(changelist(model))
        assert page.status_code == 200, model
        obj = model.objects.get()
        assert staff.get(f"{changelist(model)}{obj.pk}/change/").status_code == 200, model
    runs = staff.get(changelist(DigestRun)).content.decode()
    assert "Duration" in runs and " s<" in runs
    assert "waiting" in staff.get(changelist(AccountMail)).content.decode()


@pytest.mark.django_db
def test_run_records_and_ratings_are_read_only(staff):
    run = IngestRun.objects.create(source="arxiv", seen=3)
    assert staff.get(f"{changelist(IngestRun)}add/").status_code == 403
    staff.post(f"{changelist(IngestRun)}{run.pk}/change/", {"source": "forged", "seen": 99})
    run.refresh_from_db()
    assert (run.source, run.seen) == ("arxiv", 3)
    assert staff.get(f"{changelist(DigestRun)}add/").status_code == 403
    assert staff.get(f"{changelist(Rating)}add/").status_code == 403
    assert staff.get(f"{changelist(AccountMail)}add/").status_code == 403


@pytest.mark.django_db
def test_staff_see_why_a_paper_was_recommended(staff, subscriber):
    paper = Paper.objects.create(source="arxiv", title="Conformer", abstract="speech")
    digest = Digest.objects.create(subscriber=subscriber, edition=timezone.localdate())
    DigestItem.objects.create(
        digest=digest, paper=paper, rank=1, score=0.4321, terms=["speech", "conformer"]
    )
    page = staff.get(f"{changelist(Digest)}{digest.pk}/change/").content.decode()
    assert "Why recommended" in page
    assert "speech, conformer" in page and "0.432<" in page and "0.4321" not in page


@pytest.mark.django_db
def test_subscribers_can_be_searched_and_filtered(staff, subscriber):
    Subscriber.objects.create(email="paused@example.org", status="paused", timezone="Asia/Tokyo")
    found = staff.get(changelist(Subscriber), {"q": "reader"}).content.decode()
    assert "reader@example.org" in found and "paused@example.org" not in found
    paused = staff.get(changelist(Subscriber), {"status__exact": "paused"}).content.decode()
    assert "paused@example.org" in paused and "reader@example.org" not in paused
    tokyo = staff.get(changelist(Subscriber), {"timezone": "Asia/Tokyo"}).content.decode()
    assert "paused@example.org" in tokyo and "reader@example.org" not in tokyo
    detail = staff.get(f"{changelist(Subscriber)}{subscriber.pk}/change/").content.decode()
    assert "speech recognition" in detail  # interests inline


def test_papers_are_found_by_abstract_words_whole_title_or_arxiv_id(staff, papers):
    # Words of the DASpeech abstract only; then a paper added after the index was built.
    page = staff.get(changelist(Paper), {"q": "acoustic diversity"}).content.decode()
    assert "DASpeech" in page and "DBConformer" not in page
    Paper.objects.create(source="arxiv", title="Brand-new Conformer", external_id="2611.00001")
    assert (
        "Brand-new Conformer" in staff.get(changelist(Paper), {"q": " brand-new  CONFORMER"}).text
    )
    by_id = staff.get(changelist(Paper), {"q": "2611.00001"}).content.decode()
    assert "Brand-new Conformer" in by_id and "DASpeech" not in by_id
    assert "By source" in staff.get(changelist(Paper)).content.decode()


def action(staff, name, *subscribers):
    return staff.post(
        changelist(Subscriber),
        {"action": name, "_selected_action": [s.pk for s in subscribers]},
        follow=True,
    )


@pytest.mark.django_db
def test_action_resend_confirmation(staff, subscriber):
    pending = Subscriber.objects.create(email="pending@example.org")
    response = action(staff, "resend_confirmation", pending, subscriber)
    assert "Confirmation queued for 1; 1 not pending" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["pending@example.org"] and "/confirm/" in message.body


@pytest.mark.django_db
def test_action_send_a_digest_now(staff, subscriber, papers):
    paused = Subscriber.objects.create(email="paused@example.org", status="paused")
    response = action(staff, "send_digest_now", subscriber, paused)
    assert "Digests queued for 1 subscriber(s); 1 not active, skipped." in response.content.decode()
    [message] = mail.outbox
    assert message.to == [subscriber.email]
    assert Digest.objects.get(subscriber=subscriber).status == Digest.Status.SENT


@pytest.mark.django_db
def test_action_preview_the_next_digest(staff, subscriber, papers):
    page = action(staff, "preview_next_digest", subscriber).content.decode()
    assert "Next digest preview" in page and subscriber.email in page
    assert "Speech Recognition" in page and "speech recognition" in page
    assert mail.outbox == [] and not Digest.objects.exists()


@pytest.mark.django_db
def test_a_preview_of_more_readers_than_it_shows_says_how_many_it_left_out(
    staff, subscriber, papers, monkeypatch
):
    monkeypatch.setattr("accounts.admin.PREVIEWS_SHOWN", 2)
    others = [Subscriber.objects.create(email=f"r{n}@example.org") for n in range(2)]

    page = action(staff, "preview_next_digest", subscriber, *others).content.decode()

    assert "The first 2 of the 3 readers selected" in page
    assert page.count("up to 10 papers") == 2


@pytest.mark.django_db
def test_a_digest_lists_each_paper_once_with_a_rounded_score(staff, subscriber):
    paper = Paper.objects.create(source="arxiv", title="Conformer for speech", abstract="speech")
    digest = Digest.objects.create(subscriber=subscriber, edition=timezone.localdate())
    DigestItem.objects.create(digest=digest, paper=paper, rank=1, score=0.123456, terms=["x"])
    page = staff.get(f"{changelist(Digest)}{digest.pk}/change/").content.decode()
    assert "0.123<" in page and "0.123456" not in page
    assert 'fieldset class="module no-original' in page
    assert "admin-extra/inlines.css" in page


@pytest.mark.django_db
def test_read_only_records_have_no_delete_button(staff, subscriber):
    paper = Paper.objects.create(source="arxiv", title="Conformer", abstract="speech")
    rating = Rating.objects.create(subscriber=subscriber, paper=paper, value=1)
    page = staff.get(f"{changelist(Rating)}{rating.pk}/change/").content.decode()
    assert "deletelink" not in page
    assert "delete_selected" not in staff.get(changelist(Rating)).content.decode()
    subscriber_page = staff.get(f"{changelist(Subscriber)}{subscriber.pk}/change/")
    assert "deletelink" in subscriber_page.content.decode()


@pytest.mark.django_db
def test_a_read_only_record_cannot_be_deleted_through_its_delete_address(staff, subscriber):
    """A deleted digest was sent again: its edition no longer counted as done."""
    digest = Digest.objects.create(subscriber=subscriber, edition=timezone.localdate())
    url = f"{changelist(Digest)}{digest.pk}/delete/"

    assert staff.get(url).status_code == 403
    assert staff.post(url, {"post": "yes"}).status_code == 403
    assert Digest.objects.filter(pk=digest.pk).exists()


@pytest.mark.django_db
def test_deleting_a_subscriber_still_deletes_their_records(staff, subscriber):
    paper = Paper.objects.create(source="arxiv", title="Conformer", abstract="speech")
    Rating.objects.create(subscriber=subscriber, paper=paper, value=1)
    Digest.objects.create(subscriber=subscriber, edition=timezone.localdate())
    staff.post(f"{changelist(Subscriber)}{subscriber.pk}/delete/", {"post": "yes"})
    assert not Subscriber.objects.exists() and not Rating.objects.exists()


@pytest.mark.django_db
def test_weekdays_read_as_names_and_a_subscriber_links_to_their_digests_and_ratings(
    staff, subscriber
):
    subscriber.frequency, subscriber.weekly_day = "weekly", 4
    subscriber.save()
    paper = Paper.objects.create(source="arxiv", title="Conformer", abstract="speech")
    Rating.objects.create(subscriber=subscriber, paper=paper, value=1)
    other = Subscriber.objects.create(email="other@example.org")
    Digest.objects.create(subscriber=subscriber, edition=timezone.localdate())
    Digest.objects.create(subscriber=other, edition=timezone.localdate())
    assert "Weekly, Friday at 07:00" in staff.get(changelist(Subscriber)).content.decode()
    page = staff.get(f"{changelist(Subscriber)}{subscriber.pk}/change/").content.decode()
    assert '<option value="4" selected>Friday</option>' in page
    digests_url = f"{changelist(Digest)}?subscriber__id__exact={subscriber.pk}"
    assert f'href="{digests_url}">1 digest</a>' in page
    assert f"{changelist(Rating)}?subscriber__id__exact={subscriber.pk}" in page
    digests = staff.get(digests_url).content.decode()
    assert "reader@example.org" in digests and "other@example.org" not in digests


@pytest.mark.django_db
def test_admin_login_is_throttled_per_ip_and_per_user_name(client, admin_user, settings):
    settings.ADMIN_LOGIN_RATE = "3/h"

    def login(password, username="admin", ip="127.0.0.1"):
        data = {"username": username, "password": password, "next": "/admin/"}
        return client.post("/admin/login/", data, REMOTE_ADDR=ip)

    for _ in range(3):
        assert login("wrong").status_code == 200
    refused = login("password")  # the right one, too late
    assert refused.status_code == 429 and "Too many" in refused.content.decode()
    assert client.get("/admin/").status_code == 302
    assert login("password", ip="10.9.8.7").status_code == 429  # the user name is limited too
    assert login("wrong", username="someone-else").status_code == 429  # and this IP
    assert login("password", username="admin2", ip="10.1.1.1").status_code == 200


def _with_a_new_interest(subscriber, phrase) -> dict:
    """The admin's change form of a subscriber with one interest, adding ``phrase``."""
    interest = subscriber.interests.get()
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "timezone": subscriber.timezone,
        "send_hour": subscriber.send_hour,
        "frequency": subscriber.frequency,
        "weekly_day": subscriber.weekly_day,
        "max_papers": subscriber.max_papers,
        "status_reason": "",
        "interests-TOTAL_FORMS": "2",
        "interests-INITIAL_FORMS": "1",
        "interests-0-id": interest.pk,
        "interests-0-subscriber": subscriber.pk,
        "interests-0-phrase": interest.phrase,
        "interests-0-weight": "1",
        "interests-1-subscriber": subscriber.pk,
        "interests-1-phrase": phrase,
        "interests-1-weight": "1",
    }


@pytest.mark.django_db
def test_staff_cannot_save_an_interest_with_an_invisible_character(staff, subscriber):
    interest = subscriber.interests.get()
    url = f"{changelist(Subscriber)}{subscriber.pk}/change/"
    form = _with_a_new_interest(subscriber, "diffusion\u200b models")

    page = staff.post(url, form).content.decode()

    assert "contains an invisible or control character (U+200B" in page
    assert list(subscriber.interests.values_list("phrase", flat=True)) == [interest.phrase]
    form["interests-1-phrase"] = "diffusion models"
    assert staff.post(url, form).status_code == 302  # the same form without it saves
    assert subscriber.interests.count() == 2


@pytest.mark.django_db
def test_the_digest_list_counts_papers_newest_first_and_finds_a_readers_digests(staff, subscriber):
    other = Subscriber.objects.create(email="other@example.org")
    papers = [Paper.objects.create(source="arxiv", title=f"P{n}", abstract="a") for n in range(3)]
    today = timezone.localdate()
    older = Digest.objects.create(subscriber=subscriber, edition=today - timedelta(days=1))
    newer = Digest.objects.create(subscriber=subscriber, edition=today)
    Digest.objects.create(subscriber=other, edition=today)
    for rank, paper in enumerate(papers, 1):
        DigestItem.objects.create(digest=newer, paper=paper, rank=rank, score=0.5)
    older.message_id = "<20261125.1@mail.example.org>"
    older.save()

    found = staff.get(changelist(Digest), {"q": " READER@example.org"}).content.decode()
    by_message = staff.get(changelist(Digest), {"q": older.message_id}).content.decode()

    rows = found.split("<tbody>")[1].split("</tr>")[:-1]
    assert len(rows) == 2 and "other@example.org" not in found
    assert f"/{newer.pk}/change/" in rows[0] and f"/{older.pk}/change/" in rows[1]
    assert 'field-papers">3<' in rows[0] and 'field-papers">0<' in rows[1]
    assert by_message.split("<tbody>")[1].count("</tr>") == 1
    assert f"/{older.pk}/change/" in by_message


@pytest.mark.django_db
def test_ratings_are_found_by_a_readers_address_or_a_papers_arxiv_id(staff, subscriber):
    other = Subscriber.objects.create(email="other@example.org")
    conformer = Paper.objects.create(source="arxiv", title="Conformer", external_id="2005.08100")
    whisper = Paper.objects.create(source="arxiv", title="Whisper", external_id="2212.04356")
    Rating.objects.create(subscriber=subscriber, paper=conformer, value=1)
    Rating.objects.create(subscriber=other, paper=whisper, value=-1)

    by_address = staff.get(changelist(Rating), {"q": " Reader@Example.org "}).content.decode()
    by_paper = staff.get(changelist(Rating), {"q": "2212.04356"}).content.decode()

    assert "Conformer" in by_address and "Whisper" not in by_address
    assert "Whisper" in by_paper and "Conformer" not in by_paper


@pytest.mark.django_db
def test_staff_adding_an_interest_the_reader_has_in_another_case_see_a_form_error(
    staff, subscriber
):
    interest = subscriber.interests.get()
    url = f"{changelist(Subscriber)}{subscriber.pk}/change/"
    form = _with_a_new_interest(subscriber, interest.phrase.upper())

    response = staff.post(url, form)

    assert response.status_code == 200
    assert "already has this interest" in response.content.decode()
    assert subscriber.interests.count() == 1


@pytest.mark.django_db
def test_a_papers_text_edited_by_staff_reaches_search(staff, client, papers):
    paper = Paper.objects.get(title__istartswith="Squeezeformer")
    new_title = "Protein folding prediction with molecular dynamics"
    form = {
        "source": paper.source,
        "external_id": paper.external_id,
        "version": paper.version,
        "title": new_title,
        "abstract": paper.abstract,
        "authors": json.dumps(paper.authors),
        "categories": json.dumps(paper.categories),
        "primary_category": paper.primary_category,
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
    }

    response = staff.post(f"{changelist(Paper)}{paper.pk}/change/", form, follow=True)

    assert "The paper index is being rebuilt" in response.content.decode()
    found = client.get("/papers/", {"q": "protein folding"}).content.decode()
    assert new_title in found


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email, message",
    [
        ("OTHER@example.org", "Another reader has this address."),
        ("x@localhost", "Enter a valid email address."),
    ],
)
def test_staff_see_a_form_error_for_an_address_the_site_would_refuse(
    staff, subscriber, email, message
):
    Subscriber.objects.create(email="other@example.org")
    form = _with_a_new_interest(subscriber, "diffusion models") | {"email": email}

    response = staff.post(f"{changelist(Subscriber)}{subscriber.pk}/change/", form)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "subscriber_email_ci_unique" not in page
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.org"


@pytest.mark.django_db
def test_staff_cannot_add_an_interest_shorter_than_the_site_allows(staff, subscriber):
    form = _with_a_new_interest(subscriber, "a")

    response = staff.post(f"{changelist(Subscriber)}{subscriber.pk}/change/", form)

    assert "An interest needs at least 2 characters." in response.content.decode()
    assert subscriber.interests.count() == 1
