"""Feedback links from the digest email, undo on the account page, and "download my data"."""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Subscriber
from accounts.tokens import BadToken, read_token
from accounts.views import subscriber_required

from . import selectors, services
from .models import Paper, Rating

RATING_WORDS = {1: "more like this", -1: "less like this"}


def _feedback_target(token: str, value: int | None) -> tuple[Subscriber, Paper, int]:
    """The subscriber, paper and rating a feedback link stands for, or BadToken.

    The token is signed for the subscriber and the paper, and the rating ``value`` is the
    link's last part; older links carry it in the token instead (``value`` None).
    """
    payload = read_token(token, "feedback", max_age=settings.FEEDBACK_LINK_MAX_AGE)
    if value is None:
        value = payload.get("v")
    if value not in RATING_WORDS or not isinstance(payload.get("p"), int):
        raise BadToken("This link is not valid.")
    subscriber = Subscriber.objects.filter(pk=payload["s"]).first()
    paper = Paper.objects.filter(pk=payload["p"]).first()
    if subscriber is None or paper is None:
        raise BadToken("This link no longer leads anywhere: the account or paper was removed.")
    return subscriber, paper, value


def _bad_link(request, error: BadToken):
    return render(request, "digest/feedback_invalid.html", {"reason": str(error)}, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request, token, value=None):
    """GET shows one button (so a mail scanner's prefetch records nothing); POST records."""
    try:
        subscriber, paper, value = _feedback_target(token, value)
    except BadToken as error:
        return _bad_link(request, error)
    if request.method == "POST":
        services.rating_record(subscriber=subscriber, paper=paper, value=value)
        return redirect("digest:feedback", token=token, value=value)
    rating = Rating.objects.filter(subscriber=subscriber, paper=paper).first()
    return _feedback_page(request, token, paper, value, rating=rating)


@require_POST
def feedback_undo(request, token, value):
    """Undo from the page the feedback link opened; idempotent, so no redirect is needed."""
    try:
        subscriber, paper, value = _feedback_target(token, value)
    except BadToken as error:
        return _bad_link(request, error)
    services.rating_undo(subscriber=subscriber, paper_id=paper.id)
    return _feedback_page(request, token, paper, value, rating=None, undone=True)


def _feedback_page(request, token, paper, value, *, rating, undone=False):
    """The paper, and either the button for this link's rating or, once recorded, undo."""
    context = {
        "token": token,
        "paper": paper,
        "value": value,
        "word": RATING_WORDS[value],
        "recorded": rating is not None and rating.value == value,
        "earlier": rating is not None and rating.value != value and RATING_WORDS[rating.value],
        "undone": undone,
    }
    return render(request, "digest/feedback.html", context)


@require_POST
@subscriber_required
def rating_undo(request, subscriber, paper_id):
    """Undo from the account page's list of rated papers."""
    if services.rating_undo(subscriber=subscriber, paper_id=paper_id):
        messages.success(request, "Your rating was removed.")
    return redirect(reverse("accounts:account") + "#ratings")


@require_GET
@never_cache
@subscriber_required
def export(request, subscriber):
    """Download my data: everything stored about the subscriber, as a JSON file."""
    response = JsonResponse(
        selectors.subscriber_export(subscriber=subscriber), json_dumps_params={"indent": 2}
    )
    filename = f"paper-digest-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
