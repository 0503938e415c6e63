import pytest

from accounts.models import Interest


def phrases(subscriber):
    return sorted(subscriber.interests.values_list("phrase", flat=True))


@pytest.mark.django_db
def test_it_adds_interests(signed_in, subscriber):
    response = signed_in.post(
        "/account/interests/", {"phrases": "robot learning\nSpeech Recognition, embodied AI"}
    )
    assert response.url == "/account/"
    assert phrases(subscriber) == ["embodied AI", "robot learning", "speech recognition"]


@pytest.mark.django_db
def test_it_adds_excluded_interests(signed_in, subscriber):
    signed_in.post("/account/interests/", {"phrases": "survey", "excluded": "on"})
    assert subscriber.interests.get(phrase="survey").excluded


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type at least one keyword"),
        ("speech recognition", "You follow all of these already."),
        ("y" * 10_000, "at most 100 characters"),
        (",".join(f"topic {i}" for i in range(30)), "you have 1"),
    ],
)
def test_it_refuses_bad_interests_and_changes_nothing(signed_in, subscriber, text, message):
    response = signed_in.post("/account/interests/", {"phrases": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert phrases(subscriber) == ["speech recognition"]


@pytest.mark.django_db
def test_it_reweights_and_excludes_an_interest(signed_in, subscriber):
    interest = subscriber.interests.get()
    signed_in.post(
        f"/account/interests/{interest.id}/",
        {f"i{interest.id}-weight": "3.5", f"i{interest.id}-excluded": "on"},
    )
    interest.refresh_from_db()
    assert (interest.weight, interest.excluded) == (3.5, True)


@pytest.mark.django_db
@pytest.mark.parametrize("weight", ["9", "0", "lots"])
def test_it_refuses_a_weight_out_of_range(signed_in, subscriber, weight):
    interest = subscriber.interests.get()
    response = signed_in.post(
        f"/account/interests/{interest.id}/", {f"i{interest.id}-weight": weight}, follow=True
    )
    assert "between 0.1 and 5" in response.content.decode()
    interest.refresh_from_db()
    assert interest.weight == 1.0


@pytest.mark.django_db
def test_it_removes_an_interest(signed_in, subscriber):
    interest = subscriber.interests.get()
    signed_in.post(f"/account/interests/{interest.id}/", {"remove": "1"})
    assert phrases(subscriber) == []
    page = signed_in.get("/account/").content.decode()
    assert "You follow no interests yet" in page


@pytest.mark.django_db
def test_it_does_not_touch_someone_elses_interests(signed_in, subscriber):
    other = Interest.objects.create(
        subscriber=type(subscriber).objects.create(email="other@example.org"), phrase="robots"
    )
    response = signed_in.post(f"/account/interests/{other.id}/", {"remove": "1"})
    assert response.status_code == 404
    assert Interest.objects.filter(id=other.id).exists()
    assert signed_in.get("/definitely/not/here/").status_code == 404


@pytest.mark.django_db
def test_it_refuses_an_interest_with_a_hidden_character(signed_in, subscriber):
    response = signed_in.post("/account/interests/", {"phrases": "robot\u200d learning"})
    assert response.status_code == 400
    assert "invisible or control character (U+200D" in response.content.decode()
    assert list(subscriber.interests.values_list("phrase", flat=True)) == ["speech recognition"]
