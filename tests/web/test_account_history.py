import pytest
from django.utils import timezone

from digest.models import Digest, DigestItem, Paper


@pytest.mark.django_db
def test_it_lists_past_digests_with_their_papers(signed_in, subscriber):
    paper = Paper.objects.create(source="test", title="Whisper at scale", abstract="speech")
    sent = Digest.objects.create(
        subscriber=subscriber,
        edition=timezone.localdate(),
        status=Digest.Status.SENT,
        sent_at=timezone.now(),
    )
    DigestItem.objects.create(digest=sent, paper=paper, rank=1, score=0.4, terms=["whisper"])
    failed = Paper.objects.create(source="test", title="Never delivered", abstract="speech")
    broken = Digest.objects.create(
        subscriber=subscriber, edition="2020-01-01", status=Digest.Status.FAILED
    )
    DigestItem.objects.create(digest=broken, paper=failed, rank=1, score=0.4, terms=["x"])

    section = signed_in.get("/account/").content.decode().split('id="past"')[1]
    section = section.split("</section>")[0]
    assert "Whisper at scale" in section
    assert "1 paper" in section
    assert "Never delivered" not in section
