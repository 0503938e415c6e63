"""A paper's link reaches readers' pages and emails as an ``href``: only http(s) gets there."""

import json
import re

import pytest
from django.core.management import CommandError, call_command

from accounts.links import feedback_urls
from accounts.models import Subscriber
from digest.models import Paper

pytestmark = pytest.mark.django_db

HOSTILE_URLS = [
    "javascript:alert(document.domain)//",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/path",
    "https://",
    42,
    ["https://arxiv.org/abs/2411.00001"],
    {"href": "https://arxiv.org"},
]


@pytest.mark.parametrize("field", ["url", "pdf_url"])
@pytest.mark.parametrize("url", HOSTILE_URLS, ids=repr)
def test_a_json_line_with_a_script_or_non_http_url_is_reported_and_stores_no_link(
    tmp_path, capsys, field, url
):
    path = tmp_path / "papers.jsonl"
    good = {"title": "A good paper", "abstract": "x", "url": "https://example.org/paper"}
    bad = {"title": "A hostile paper", "abstract": "x", field: url}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match="1 lines"):
        call_command("ingest_papers", str(path))

    assert f"{path}:2: skipped: '{field}' is not an http(s) URL" in capsys.readouterr().err
    assert list(Paper.objects.values_list("title", "abs_url")) == [
        ("A good paper", "https://example.org/paper")
    ]


@pytest.mark.parametrize("stored", ["javascript:alert(document.domain)//", "data:text/html,x"])
def test_a_stored_script_url_is_never_rendered_as_a_link(client, stored):
    """Rows stored before links were checked still render safely."""
    paper = Paper.objects.create(
        source="jsonl", external_id="2411.00001", title="Old row", abs_url=stored, pdf_url=stored
    )
    reader = Subscriber.objects.create(email="r@example.org", status=Subscriber.Status.ACTIVE)
    more, _ = feedback_urls(reader, [paper])[0]

    page = client.get(re.sub(r"^https?://[^/]+", "", more)).content.decode()

    assert paper.url == "https://arxiv.org/abs/2411.00001"
    assert 'href="https://arxiv.org/abs/2411.00001"' in page
    assert "javascript:" not in page.lower() and "data:text" not in page
