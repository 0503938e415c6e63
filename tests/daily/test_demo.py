import email
from email import policy

import pytest
from django.core.management import call_command

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
