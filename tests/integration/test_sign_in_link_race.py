"""Many concurrent uses of one single-use link (sign in, move the mail to a new address), as
real requests to gunicorn: exactly one acts, on PostgreSQL and on SQLite, and none fails
with a server error."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from benchmarks.processes import django_env, free_port, manage
from benchmarks.web import Server, press_button

pytestmark = pytest.mark.integration

USERS = 8
MAKE_READER = (
    "from accounts.models import Subscriber; from accounts import links; "
    "s = Subscriber.objects.create(email='racer@example.org', status='active'); "
)
LINKS = {
    "/signin/": "print(links.signin_url(s))",
    "/email/": "print(links.email_change_url(s, 'racer@new-lab.example'))",
}


@pytest.fixture
def app_env(database_url, tmp_path):
    env = django_env(
        database_url=database_url,
        redis_url="",
        email_url=None,  # the outbox folder in ``tmp_path``
        var_dir=tmp_path,
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    env["PORT"] = str(free_port())
    return env


@pytest.mark.parametrize("path", LINKS)
def test_one_of_many_concurrent_uses_of_a_single_use_link_acts(app_env, path):
    link = manage(app_env, "shell", "-c", MAKE_READER + LINKS[path]).strip()
    server = Server(app_env, workers=4).start()
    try:
        link = server.url + link[link.index(path) :]
        ready = threading.Barrier(USERS)

        def use_link(_):
            session = requests.Session()
            page = session.get(link, timeout=30)
            ready.wait(timeout=30)
            response = press_button(session, link, page, allow_redirects=False, timeout=60)
            return response.status_code, response.headers.get("Location"), response.text

        with ThreadPoolExecutor(USERS) as pool:
            results = list(pool.map(use_link, range(USERS)))
    finally:
        server.stop()

    acted = [r for r in results if r[:2] == (302, "/account/")]
    refused = [r for r in results if r[0] == 400 and "already used" in r[2]]
    assert len(acted) == 1, [r[:2] for r in results]
    assert len(refused) == USERS - 1, [r[:2] for r in results]
    # A move tells the old address once; a sign-in sends nothing.
    notices = list((Path(app_env["VAR_DIR"]) / "outbox").glob("*racer@example.org.eml"))
    assert len(notices) == (path == "/email/")
