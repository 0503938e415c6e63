"""Many concurrent uses of one sign-in link, as real requests to gunicorn: exactly one signs
in, on PostgreSQL and on SQLite, and none fails with a server error."""

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from benchmarks.processes import django_env, free_port, manage
from benchmarks.web import Server

pytestmark = pytest.mark.integration

USERS = 8
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MAKE_READER = (
    "from accounts.models import Subscriber; from accounts import links; "
    "s = Subscriber.objects.create(email='racer@example.org', status='active'); "
    "print(links.signin_url(s))"
)


@pytest.fixture(params=["postgresql", "sqlite"])
def app_env(request, tmp_path):
    if request.param == "postgresql":
        # A database of its own in the session's PostgreSQL, so other tests see no trace.
        postgres = request.getfixturevalue("postgres")
        name = f"race_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(postgres.url.replace("postgres://", "postgresql://")) as conn:
            conn.autocommit = True
            conn.execute(f"CREATE DATABASE {name}")
        database_url = postgres.url.rpartition("/")[0] + "/" + name
    else:
        database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = django_env(
        database_url=database_url,
        redis_url="",
        email_url="smtp://127.0.0.1:9/",
        var_dir=tmp_path,
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    env["PORT"] = str(free_port())
    return env


def test_one_of_many_concurrent_uses_of_a_sign_in_link_signs_in(app_env):
    link = manage(app_env, "shell", "-c", MAKE_READER).strip()
    server = Server(app_env, workers=4).start()
    try:
        link = server.url + link[link.index("/signin/") :]
        ready = threading.Barrier(USERS)

        def use_link(_):
            session = requests.Session()
            page = session.get(link, timeout=30)
            token = CSRF.search(page.text).group(1)
            ready.wait(timeout=30)
            response = session.post(
                link,
                {"csrfmiddlewaretoken": token},
                headers={"Referer": link},
                allow_redirects=False,
                timeout=60,
            )
            return response.status_code, response.headers.get("Location"), response.text

        with ThreadPoolExecutor(USERS) as pool:
            results = list(pool.map(use_link, range(USERS)))
    finally:
        server.stop()

    signed_in = [r for r in results if r[:2] == (302, "/account/")]
    refused = [r for r in results if r[0] == 400 and "already used" in r[2]]
    assert len(signed_in) == 1, [r[:2] for r in results]
    assert len(refused) == USERS - 1, [r[:2] for r in results]
