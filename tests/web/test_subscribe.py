import re
import time

import pytest
from django.core import mail
from django.test import Client

from accounts.forms import parse_interests
from accounts.models import Interest, Subscriber


def subscribe(client, email="new@example.org", interests="speech recognition, robot learning"):
    return client.post("/", {"email": email, "interests": interests, "website": ""})


@pytest.mark.django_db
def test_it_shows_the_form_with_examples(client):
    page = client.get("/").content.decode()
    assert 'name="email"' in page and 'name="interests"' in page
    assert "csrfmiddlewaretoken" in page
    assert "protein folding" in page  # an example of what to type
    assert '<label for="id_email">' in page and '<label for="id_interests">' in page


@pytest.mark.django_db
def test_it_stores_a_pending_subscriber_and_emails_a_confirmation_link(client):
    response = subscribe(client, interests="Speech recognition\nrobot learning, speech RECOGNITION")
    assert "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get(email="new@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    assert sorted(subscriber.interests.values_list("phrase", flat=True)) == [
        "Speech recognition",
        "robot learning",
    ]
    [message] = mail.outbox
    assert message.to == ["new@example.org"]
    assert "Confirm" in message.subject
    assert re.search(r"http://\S+/confirm/\S+/", message.body)


@pytest.mark.django_db
def test_a_topic_typed_with_a_minus_is_kept_out_not_followed(client):
    subscribe(client, interests="large language models, -survey, - benchmarks")

    interests = Subscriber.objects.get(email="new@example.org").interests
    assert sorted(interests.values_list("phrase", "excluded")) == [
        ("benchmarks", True),
        ("large language models", False),
        ("survey", True),
    ]


def test_a_list_with_many_blank_lines_is_read_in_linear_time():
    started = time.perf_counter()

    interests = parse_interests("- a b\n- c d\n" + " \n" * 200_000)

    assert interests == [("a b", False), ("c d", False)]
    assert time.perf_counter() - started < 5  # quadratic took minutes


@pytest.mark.django_db
def test_a_topic_typed_after_no_or_except_is_kept_out_not_followed(client):
    subscribe(
        client,
        interests="no surveys, LLM agents, Not video; except medical imaging\n"
        "without benchmarks, no-regret learning, robot learning but not simulation, "
        "transformers without normalization",
    )

    interests = Subscriber.objects.get(email="new@example.org").interests
    assert sorted(interests.values_list("phrase", "excluded")) == [
        ("LLM agents", False),
        ("benchmarks", True),
        ("medical imaging", True),
        ("no-regret learning", False),
        ("robot learning", False),
        ("simulation", True),
        ("surveys", True),
        ("transformers without normalization", False),
        ("video", True),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pasted",
    [
        "- large language models\n- speech recognition\n- -survey",
        "• large language models\r\n• speech recognition\r\n• -survey",
        "1. large language models\n2. speech recognition\n3) -survey",
    ],
)
def test_a_pasted_list_follows_its_lines_not_its_markers(client, pasted):
    subscribe(client, interests=pasted)

    interests = Subscriber.objects.get(email="new@example.org").interests
    assert sorted(interests.values_list("phrase", "excluded")) == [
        ("large language models", False),
        ("speech recognition", False),
        ("survey", True),
    ]


@pytest.mark.django_db
def test_it_says_the_same_for_a_known_address_and_keeps_its_interests(client, subscriber):
    known = subscribe(client, email="READER@example.org", interests="knitting")
    fresh = subscribe(client, email="someone-else@example.org", interests="knitting")
    assert known.status_code == fresh.status_code == 200
    assert "Check your inbox" in known.content.decode()
    assert known.content.decode().replace("someone-else", "") == fresh.content.decode().replace(
        "someone-else", ""
    )
    assert list(subscriber.interests.values_list("phrase", flat=True)) == ["speech recognition"]
    assert Subscriber.objects.filter(email__iexact="reader@example.org").count() == 1
    to_known = [m for m in mail.outbox if m.to == ["reader@example.org"]]
    assert len(to_known) == 1 and "already has a subscription" in to_known[0].body
    # The reader learns that what they typed now was not used, and where to change it.
    assert "the ones typed with this request are not used" in to_known[0].body
    assert "typed with this request are not used" in to_known[0].alternatives[0][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "interests", "message"),
    [
        ("not-an-email", "speech", "Enter a valid email address."),
        # Addresses Django's check passes that no mail can reach: refused with the reason.
        ("me@localhost", "speech", "Enter a valid email address. The part after the @-sign"),
        ("qa@example.test", "speech", "special-use or reserved name"),
        ("x@[127.0.0.1]", "speech", "Enter a valid email address."),
        ("new@example.org", " , ,\n ", "Tell us at least one topic"),
        ("new@example.org", ", ".join(f"topic {i}" for i in range(40)), "at most 30 interests"),
        ("new@example.org", "x" * 150, "at most 100 characters"),
        ("new@example.org", "- x\n" * 1_000, "longer than a list of interests can be"),
        ("new@example.org", "ok topic, x", "at least 2 characters"),
        ("new@example.org", "-survey, -benchmarks", "name at least one topic to follow"),
        ("new@example.org", "LLM agents, https://arxiv.org/abs/1706.03762", "is a link"),
        ("new@example.org", "www.example.org/papers", "is a link, not a topic"),
        ("new@example.org", "speech, 🔥🔥", "“🔥🔥” has no word in it"),
        ("new@example.org", "?!, speech", "“?!” has no word in it"),
    ],
)
def test_it_refuses_bad_input_and_stores_nothing(client, email, interests, message):
    response = subscribe(client, email=email, interests=interests)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscriber.objects.exists() and not Interest.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_pretends_success_to_bots_that_fill_the_honeypot(client):
    response = client.post(
        "/", {"email": "bot@example.org", "interests": "spam", "website": "http://spam"}
    )
    assert "Check your inbox" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_needs_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = subscribe(client)
    assert response.status_code == 403
    assert "form has expired" in response.content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_it_limits_attempts_per_email_address(client, settings):
    settings.ACCOUNT_RATE_PER_EMAIL = "2/h"
    assert subscribe(client, email="a@example.org").status_code == 200
    assert subscribe(client, email="A@example.org").status_code == 200
    refused = subscribe(client, email="a@example.org")
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert len(mail.outbox) == 2
    assert subscribe(client, email="b@example.org").status_code == 200


@pytest.mark.django_db
def test_it_limits_attempts_per_ip_address(client, settings):
    settings.ACCOUNT_RATE_PER_IP = "3/h"
    for n in range(3):
        assert subscribe(client, email=f"user{n}@example.org").status_code == 200
    assert subscribe(client, email="user9@example.org").status_code == 429
    assert not Subscriber.objects.filter(email="user9@example.org").exists()
    other_ip = client.post(
        "/",
        {"email": "user9@example.org", "interests": "speech", "website": ""},
        REMOTE_ADDR="10.1.2.3",
    )
    assert other_ip.status_code == 200


def delivery_of(email):
    s = Subscriber.objects.get(email=email)
    return (s.frequency, s.weekly_day, s.send_hour, s.timezone)


@pytest.mark.django_db
def test_it_offers_frequency_hour_and_time_zone_on_sign_up(client):
    page = client.get("/").content.decode()
    for name in ["frequency", "weekly_day", "send_hour", "timezone"]:
        assert f'name="{name}"' in page
    assert 'data-show-when="frequency=weekly"' in page  # the weekday only shows for weekly
    assert "data-detect-timezone" in page and '<option value="Europe/Berlin">' in page
    assert "<script>" not in page  # the page's scripts are static files (CSP)


@pytest.mark.django_db
def test_it_stores_the_delivery_chosen_on_sign_up(client):
    client.post(
        "/",
        {
            "email": "new@example.org",
            "interests": "speech",
            "frequency": "weekly",
            "weekly_day": "4",
            "send_hour": "18",
            "timezone": "America/New_York",
        },
    )
    assert delivery_of("new@example.org") == ("weekly", 4, 18, "America/New_York")


@pytest.mark.django_db
def test_subscribing_a_pending_address_again_adds_interests_and_keeps_the_first(client):
    subscribe(client, email="new@example.org", interests="robot learning, speech recognition")
    subscribe(client, email="NEW@example.org", interests="Robot Learning, knitting")
    subscriber = Subscriber.objects.get()
    assert sorted(subscriber.interests.values_list("phrase", flat=True)) == [
        "knitting",
        "robot learning",
        "speech recognition",
    ]


@pytest.mark.django_db
def test_subscribing_a_pending_address_again_stays_within_the_interest_limit(client):
    subscribe(client, interests=", ".join(f"topic {i}" for i in range(28)))
    subscribe(client, interests="alpha, beta, gamma, delta")
    phrases = set(Subscriber.objects.get().interests.values_list("phrase", flat=True))
    assert len(phrases) == 30 and {"alpha", "beta"} <= phrases and "gamma" not in phrases


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("europe/paris", "Europe/Paris"),
    ],
)
def test_a_city_name_finds_its_time_zone(client, typed, zone):
    client.post("/", {"email": "new@example.org", "interests": "speech", "timezone": typed})
    assert delivery_of("new@example.org")[3] == zone


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Atlantis", "not a time zone or a city we know"),
        ("Indianapolis", "could be"),
        # In the tz database, but no place: the server's own zone, and a placeholder.
        ("localtime", "not a time zone or a city we know"),
        ("Factory", "not a time zone or a city we know"),
    ],
)
def test_an_unknown_or_ambiguous_city_gets_a_message_and_stores_nothing(client, typed, message):
    response = client.post("/", {"email": "new@example.org", "interests": "x1", "timezone": typed})
    page = response.content.decode()
    assert message in page
    assert "disabled" not in page  # the weekday stays choosable on the page shown again
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_the_weekday_counts_only_for_weekly_digests(client):
    client.post(
        "/",
        {
            "email": "new@example.org",
            "interests": "speech",
            "frequency": "daily",
            "weekly_day": "4",
        },
    )
    assert delivery_of("new@example.org") == ("daily", 0, 7, "UTC")


@pytest.mark.django_db
def test_without_the_delivery_fields_it_uses_the_defaults(client):
    subscribe(client)
    assert delivery_of("new@example.org") == ("daily", 0, 7, "UTC")


@pytest.mark.django_db
def test_subscribing_a_known_address_again_changes_not_its_delivery(client, subscriber):
    weekly = {"interests": "speech", "frequency": "weekly", "weekly_day": "4", "send_hour": "18"}
    client.post("/", {"email": "new@example.org", **weekly})
    client.post("/", {"email": "NEW@example.org", "interests": "speech", "timezone": "Tokyo"})
    client.post("/", {"email": subscriber.email, **weekly})
    assert delivery_of("new@example.org") == ("weekly", 4, 18, "UTC")
    assert delivery_of(subscriber.email) == ("daily", 0, 7, "UTC")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("interests", "message"),
    [
        ("speech\u200brecognition", "invisible or control character (U+200B"),  # zero-width
        ("robots, \u202egninrael", "invisible or control character (U+202E"),  # RTL override
        ("graph \x1b[31mnetworks", "invisible or control character (U+001B"),
        ("\u2066protein\u2069 folding", "invisible or control character (U+2066, U+2069"),
        ("diffusion\x00models", "Null characters are not allowed"),  # Django's own check
        ("speech, \u200b\u200b", "An interest contains an invisible or control character"),
    ],
)
def test_it_refuses_invisible_and_control_characters_in_interests(client, interests, message):
    response = subscribe(client, interests=interests)
    assert message in response.content.decode()
    assert not Subscriber.objects.exists() and not Interest.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_interests_in_other_scripts_are_welcome(client):
    subscribe(client, interests="Spracherkennung für Größen, 音声認識, تعلم الآلة")
    assert Interest.objects.count() == 3


@pytest.mark.django_db
def test_the_check_inbox_page_names_typed_words_no_paper_uses(client, papers):
    page = subscribe(client, interests="robot learning, difusion models").content.decode()

    assert "Check your inbox" in page
    assert "No paper uses “difusion” (in “difusion models”)" in page
    assert "it is read as “diffusion”" in page


@pytest.mark.django_db
def test_the_check_inbox_page_says_the_papers_are_in_english(client, papers):
    page = subscribe(client, interests="robot learning, 音声認識").content.decode()

    assert "No paper uses “音声認識” (in “音声認識”)" in page
    assert "the papers are in English" in page
    assert Interest.objects.count() == 2  # kept: the reader may add what it is in English


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/signin/", "/papers/?q=speech", "/interests/suggest?q=speech"]
)
def test_a_link_checker_or_monitor_may_ask_for_a_public_page_with_head(client, path):
    response = client.head(path)
    assert response.status_code == 200 and response.content == b""
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_mistakes_sent_back_use_up_none_of_the_addresss_attempts(client, settings):
    settings.ACCOUNT_RATE_PER_EMAIL = "2/h"
    for _ in range(5):  # an interest too short, again and again, from anyone anywhere
        assert "at least 2 characters" in subscribe(client, interests="x").content.decode()
    response = client.post(
        "/",
        {"email": "new@example.org", "interests": "speech recognition", "website": ""},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert Subscriber.objects.filter(email="new@example.org").exists()
    assert len(mail.outbox) == 1
