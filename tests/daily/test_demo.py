import email
import os
import re
import subprocess
import sys
from email import policy

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.tokens import read_token
from digest.management.commands.demo import DEMO_SUBSCRIBERS
from digest.models import Digest


@pytest.mark.django_db
def test_it_writes_one_eml_file_per_subscriber_with_matches(
    settings, capsys, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "digest.mail.OutboxEmailBackend"

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")

    files = sorted(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))
    sent = Digest.objects.filter(status=Digest.Status.SENT)
    assert len(files) == sent.count() >= 4
    recipients = set()
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        recipients.add(message["To"])
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
    assert recipients <= set(DEMO_SUBSCRIBERS)
    assert "top paper" in capsys.readouterr().out

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")  # the same day again sends nothing more

    assert len(list(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))) == len(files)


def test_its_output_says_how_to_see_the_site_and_sign_in_and_nothing_noisy(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "EMAIL_BACKEND", "EMAIL_OUTBOX_DIR"}
    }
    env["VAR_DIR"] = str(tmp_path)
    env["SECRET_KEY"] = settings.SECRET_KEY  # so this process can read the printed link
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    demo = subprocess.run([*manage, "demo"], env=env, check=True, capture_output=True, text=True)
    output = demo.stdout + demo.stderr
    # A reader who gets nothing is told why, in the table's row.
    assert re.search(r"rosalind@example.org +skipped +0 +\(no new matching papers\)", output)
    assert "manage.py runserver" in output and f"{settings.SITE_URL}/" in output
    token = re.search(rf"{re.escape(settings.SITE_URL)}/signin/(\S+)/\n", output).group(1)
    assert read_token(token, "signin")["s"] > 0
    assert "WARNING" not in output and "Warning" not in output
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", output)  # no task ids
