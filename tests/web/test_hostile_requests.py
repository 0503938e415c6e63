"""Strangers send anything to every URL: each answer is a page or a refusal, never a 500."""

import random
import re
import traceback

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from digest.models import Paper

HOSTILE = [
    "",
    "x" * 5000,
    "\x00",
    "%ff",
    "%",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "9" * 40,
    "-1",
    "../../etc/passwd",
    "\u202e",
    "a\r\nSet-Cookie: x=1",
    "😀" * 50,
    "AAAA.BBBB.CCCC",
    "a:b:c",
]
FIELDS = [
    "email",
    "interests",
    "q",
    "page",
    "frequency",
    "weekly_day",
    "send_hour",
    "timezone",
    "digest_size",
    "phrase",
    "weight",
    "exclude",
    "website",
    "next",
    "form-TOTAL_FORMS",
    "form-INITIAL_FORMS",
    "form-0-id",
    "form-0-phrase",
    "form-0-weight",
    "form-0-exclude",
]
TRIES_PER_URL = 20


def routes(patterns=None, prefix=""):
    """Every route of the site but admin's, as written in the URLconf."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def filled(route: str, rng: random.Random, paper_id: int) -> str:
    def value(match):
        kind = match[1]
        if kind == "int":
            return str(rng.choice([paper_id, 0, 10**18, 2**63]))
        if kind == "rating":
            return rng.choice(["more", "less"])
        if kind == "slug":
            return rng.choice(["postmark", "sendgrid", "x"])
        return (rng.choice(HOSTILE) or "x").replace("/", "%2F")

    return "/" + re.sub(r"<(\w+):\w+>", value, route)


@pytest.fixture
def server_errors():
    errors = []

    def record(sender, request=None, **kwargs):
        errors.append((request.method, request.get_full_path()[:200], traceback.format_exc()))

    got_request_exception.connect(record, weak=False)
    yield errors
    got_request_exception.disconnect(record)


@pytest.mark.parametrize("signed_in_reader", [False, True], ids=["stranger", "signed-in"])
def test_no_url_answers_hostile_requests_with_a_server_error(
    signed_in_reader, signed_in, papers, server_errors
):
    client = signed_in if signed_in_reader else Client()
    client.raise_request_exception = False
    rng = random.Random(int(signed_in_reader))
    paper_id = Paper.objects.values_list("id", flat=True).first()
    assert len(list(routes())) > 25
    answered = []
    for route in routes():
        for _ in range(TRIES_PER_URL):
            url = filled(route, rng, paper_id)
            data = {f: rng.choice(HOSTILE) for f in rng.sample(FIELDS, rng.randint(0, 8))}
            for method in ("get", "head", "post", "put", "delete", "options"):
                send = getattr(client, method)
                response = send(url, data) if method in ("get", "head", "post") else send(url)
                answered.append((method, url, response.status_code))
    assert server_errors == [], sorted(
        {(method, path.split("?")[0]) for method, path, _ in server_errors}
    )
    assert [a for a in answered if a[2] >= 500 and a[2] != 503] == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/signin/"])
def test_empty_posts_past_the_limit_get_the_limit_page(client, settings, path):
    settings.ACCOUNT_RATE_PER_IP = "1/h"
    assert client.post(path, {}).status_code == 200
    refused = client.post(path, {})
    assert refused.status_code == 429 and "Too many requests" in refused.content.decode()
