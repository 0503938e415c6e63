import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Interest
from digest.models import Paper


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
def test_a_topic_added_with_a_minus_is_excluded(signed_in, subscriber):
    signed_in.post("/account/interests/", {"phrases": "-survey, robot learning"})

    assert subscriber.interests.get(phrase="survey").excluded
    assert not subscriber.interests.get(phrase="robot learning").excluded


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type at least one keyword"),
        ("speech recognition", "You follow all of these already."),
        ("y" * 150, "at most 100 characters"),
        ("y\n" * 100_000, "longer than a list of interests can be"),
        (",".join(f"topic {i}" for i in range(30)), "you have 1"),
    ],
)
def test_it_refuses_bad_interests_and_changes_nothing(signed_in, subscriber, text, message):
    response = signed_in.post("/account/interests/", {"phrases": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert phrases(subscriber) == ["speech recognition"]


def formset_data(interests, **changes):
    """The interests table as the page posts it; ``changes`` maps a phrase to (weight, excluded)."""
    data = {
        "interests-TOTAL_FORMS": str(len(interests)),
        "interests-INITIAL_FORMS": str(len(interests)),
    }
    for i, interest in enumerate(interests):
        weight, excluded = changes.get(interest.phrase, (interest.weight, interest.excluded))
        data[f"interests-{i}-id"] = str(interest.id)
        data[f"interests-{i}-weight"] = str(weight)
        if excluded:
            data[f"interests-{i}-excluded"] = "on"
    return data


@pytest.fixture
def three_interests(subscriber):
    Interest.objects.create(subscriber=subscriber, phrase="robot learning")
    Interest.objects.create(subscriber=subscriber, phrase="survey")
    return list(subscriber.interests.order_by("phrase"))


def stored(subscriber):
    return {i.phrase: (i.weight, i.excluded) for i in subscriber.interests.all()}


@pytest.mark.django_db
def test_it_saves_every_interest_row_at_once(signed_in, subscriber, three_interests):
    response = signed_in.post(
        "/account/interests/save/",
        formset_data(
            three_interests, **{"speech recognition": (3.5, False), "survey": (1.0, True)}
        ),
    )
    assert response.url == "/account/"
    assert stored(subscriber) == {
        "robot learning": (1.0, False),
        "speech recognition": (3.5, False),
        "survey": (1.0, True),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("weight", ["9", "0", "lots", ""])
def test_a_weight_out_of_range_is_shown_next_to_its_row_and_nothing_is_saved(
    signed_in, subscriber, three_interests, weight
):
    before = stored(subscriber)
    response = signed_in.post(
        "/account/interests/save/",
        formset_data(
            three_interests, **{"robot learning": (2.0, False), "survey": (weight, False)}
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    rows = page.split('id="interests-form"')[1].split("</tbody>")[0].split("<tr")
    [bad_row] = [row for row in rows if "between 0.1 and 5" in row]
    assert "survey" in bad_row and 'aria-invalid="true"' in bad_row
    assert stored(subscriber) == before


@pytest.mark.django_db
def test_excluded_interests_hide_their_weight(signed_in, subscriber, three_interests):
    signed_in.post("/account/interests/save/", formset_data(three_interests, survey=(1.0, True)))
    page = signed_in.get("/account/").content.decode()
    survey = page.split('id="interests-form"')[1].split("survey")[1].split("</tr>")[0]
    assert 'data-hide-when-checked="interests-2-excluded"' in survey


@pytest.mark.django_db
def test_it_removes_an_interest(signed_in, subscriber):
    interest = subscriber.interests.get()
    signed_in.post(f"/account/interests/{interest.id}/remove/")
    assert phrases(subscriber) == []
    page = signed_in.get("/account/").content.decode()
    assert "You follow no interests yet" in page
    # Pressed again (a double click, another tab): the page says it is done already.
    again = signed_in.post(f"/account/interests/{interest.id}/remove/", follow=True)
    assert (
        again.status_code == 200 and "That interest was already removed." in again.content.decode()
    )


@pytest.mark.django_db
def test_it_does_not_touch_someone_elses_interests(signed_in, subscriber):
    other = Interest.objects.create(
        subscriber=type(subscriber).objects.create(email="other@example.org"), phrase="robots"
    )
    response = signed_in.post(f"/account/interests/{other.id}/remove/")
    assert response.status_code == 404
    assert Interest.objects.filter(id=other.id).exists()
    forged = formset_data([other], robots=(5.0, True))
    response = signed_in.post("/account/interests/save/", forged)
    assert response.status_code == 400
    assert "reload the page" in response.content.decode()
    other.refresh_from_db()
    assert (other.weight, other.excluded) == (1.0, False)


@pytest.mark.django_db
def test_a_forged_extra_row_adds_no_interest(signed_in, subscriber):
    data = formset_data(list(subscriber.interests.all()))
    data.update({"interests-TOTAL_FORMS": "2", "interests-1-weight": "2"})
    signed_in.post("/account/interests/save/", data)
    assert phrases(subscriber) == ["speech recognition"]


@pytest.mark.django_db
def test_it_refuses_an_interest_with_a_hidden_character(signed_in, subscriber):
    response = signed_in.post("/account/interests/", {"phrases": "robot\u200d learning"})
    assert response.status_code == 400
    assert "invisible or control character (U+200D" in response.content.decode()
    assert list(subscriber.interests.values_list("phrase", flat=True)) == ["speech recognition"]


def _page_with_interests(client, phrases: str) -> str:
    """The account page after the reader adds these interests."""
    client.post("/account/interests/", {"phrases": phrases})
    return client.get("/account/").content.decode()


@pytest.mark.django_db
def test_the_account_names_interest_words_no_paper_uses_and_how_they_are_read(
    signed_in, subscriber, papers
):
    page = _page_with_interests(signed_in, "transfomer models, visuomotor policies, NMT")

    assert (
        "No paper uses “transfomer” (in “transfomer models”): it is read as “transformer”; "
        "change it if you meant something else."
    ) in page
    assert (
        "No paper uses “visuomotor” (in “visuomotor policies”), so it matches nothing yet." in page
    )
    # An acronym no paper writes: too short to guess a spelling, so its long form is asked for.
    assert (
        "No paper uses “NMT” (in “NMT”), so it matches nothing yet; if it is an acronym, add "
        "what it stands for as another interest."
    ) in page
    assert "No paper uses “speech”" not in page and "“recognition”" not in page


@pytest.mark.django_db
def test_the_account_says_what_an_acronym_the_papers_define_also_matches(
    signed_in, subscriber, papers
):
    page = _page_with_interests(signed_in, "ViT, hybrid CNN-transformer")

    assert "“ViT” also matches “vision transformers”" in page
    assert "“CNN” also matches “convolutional neural networks”" in page
    assert "“speech” also matches" not in page and "“recognition” also" not in page


@pytest.mark.django_db
def test_the_account_shows_the_topics_a_listed_interest_is_read_as(signed_in, subscriber):
    signed_in.post(
        "/account/interests/", {"phrases": "object detection and image segmentation\nrobotics"}
    )

    page = signed_in.get("/account/").content.decode()

    assert "read as object detection · image segmentation" in page
    assert page.count("read as ") == 1  # not for "robotics" or "speech recognition"


def interest_rows(page: str) -> dict[str, str]:
    """The text of each interest's row of the account page, by its phrase."""
    rows = re.findall(r'<td class="phrase">.*?>([^<>]+)(.*?)</td>', page, re.S)
    return {phrase.strip(): re.sub(r"<[^>]+>", " ", rest) for phrase, rest in rows}


@pytest.mark.django_db
def test_the_account_says_how_many_papers_of_the_last_week_each_interest_matches(
    signed_in, subscriber, papers
):
    signed_in.post(
        "/account/interests/", {"phrases": "protein folding, quantum error correction, -survey"}
    )

    rows = interest_rows(signed_in.get("/account/").content.decode())

    matched = re.search(
        r"(\d+) papers of the last week \((\d+) with all of it\)", rows["speech recognition"]
    )
    assert matched and int(matched[1]) >= int(matched[2]) >= 1
    assert re.search(
        r"\d+ papers? of the last week match(es)? part of it, none all of it; if it lists "
        r"several topics, separate them with commas",
        rows["protein folding"],
    )
    assert "No paper of the last week matches it." in rows["quantum error correction"]
    assert "last week" not in rows["survey"]


@pytest.mark.django_db
def test_papers_older_than_a_week_are_not_counted_for_an_interest(
    signed_in, subscriber, papers, build_index
):
    Paper.objects.update(ingested_at=timezone.now() - timedelta(days=8))
    build_index()

    rows = interest_rows(signed_in.get("/account/").content.decode())

    assert "No paper of the last week matches it." in rows["speech recognition"]
