import re

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.views import defaults


@pytest.mark.django_db
def test_unknown_pages_get_a_friendly_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Go to the start page" in page
    assert "/static/css/site.css" in page


@pytest.mark.parametrize(
    ("view", "status", "text"),
    [
        (defaults.server_error, 500, "Something went wrong on our side"),
        (defaults.bad_request, 400, "We could not read that request"),
        (defaults.permission_denied, 403, "You cannot do that here"),
    ],
)
def test_error_pages_are_friendly(view, status, text):
    request = RequestFactory().get("/")
    response = view(request) if status == 500 else view(request, exception=Exception("x"))
    assert response.status_code == status
    assert text in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_pages_use_no_external_resources(client, db):
    page = client.get("/").content.decode()
    assert "https://" not in page and "//cdn" not in page
    local = re.findall(r'(?:href|src)="/static/([^"]+)"', page)
    assert "css/site.css" in local
    assert all(finders.find(path) for path in local)
