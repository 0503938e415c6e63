"""Feedback links from the digest email, undo on the account page, "download my data",
each digest's own read-only page where its papers can be rated in place, and the archive
search."""

import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from accounts.forms import parse_interests
from accounts.models import Subscriber
from accounts.tokens import BadToken, make_token, read_token
from accounts.views import SESSION_KEY, bad_link, full_signin_required, subscriber_required

from . import editions, selectors, services
from .models import Paper, Rating

RATING_WORDS = {1: "more like this", -1: "less like this"}
SEARCH_PAGE_SIZE = 20
RATINGS_ON_ACCOUNT_PAGE = 10
"""The account page lists the newest ratings, and links to all of them."""
RATINGS_PER_PAGE = 50
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
SEARCH_QUERY_MAX = 200
"""Most characters of a search (see ``_followable`` for the ones that can be followed)."""
RATING_CHOICES = [(1, "+ More like this"), (-1, "\u2212 Less like this")]


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


def _bad_feedback_link(request, error: BadToken):
    return render(request, "digest/feedback_invalid.html", {"reason": str(error)}, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request, token, value=None):
    """GET shows one button (so a mail scanner's prefetch records nothing); POST records."""
    try:
        subscriber, paper, value = _feedback_target(token, value)
    except BadToken as error:
        return _bad_feedback_link(request, error)
    if request.method == "POST":
        services.rating_record(subscriber=subscriber, paper=paper, value=value)
        return _back_in_place(request, paper, value) or redirect(
            "digest:feedback", token=token, value=value
        )
    rating = Rating.objects.filter(subscriber=subscriber, paper=paper).first()
    return _feedback_page(request, token, paper, value, rating=rating)


@require_POST
def feedback_undo(request, token, value):
    """Undo from the page the feedback link opened; idempotent, so no redirect is needed."""
    try:
        subscriber, paper, value = _feedback_target(token, value)
    except BadToken as error:
        return _bad_feedback_link(request, error)
    removed = services.rating_undo(subscriber=subscriber, paper_id=paper.id)
    return _back_in_place(request, paper, None) or _feedback_page(
        request, token, paper, value, rating=None, undone=removed
    )


def _back_in_place(request, paper, value):
    """For a rating made in place (digest page, search): the page it was made on, or JSON
    for the page's script; None for a rating from an email link."""
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"paper": paper.id, "rating": value})
    back = _back_to(request, f"paper-{paper.id}")
    return redirect(back) if back else None


def rating_forms(subscriber_id: int, papers, ratings: dict[int, int]) -> list[dict]:
    """What the rate-in-place buttons of ``papers`` need: a feedback token and the rating."""
    return [
        {
            "token": make_token(subscriber_id, "feedback", p=paper.id),
            "rating": ratings.get(paper.id),
        }
        for paper in papers
    ]


@require_safe
def digest_page(request, token):
    """A digest as a page ("view in browser"): read-only, its papers can be rated in place."""
    try:
        payload = read_token(token, "digest", max_age=settings.FEEDBACK_LINK_MAX_AGE)
    except BadToken as error:
        return bad_link(request, error)
    digest = selectors.digest_with_papers(subscriber_id=payload["s"], digest_id=payload.get("d"))
    if digest is None:
        raise Http404("This digest no longer exists.")
    items = list(digest.items.all())
    papers = [item.paper for item in items]
    ratings = selectors.ratings_of(subscriber_id=digest.subscriber_id, papers=papers)
    rates = rating_forms(digest.subscriber_id, papers, ratings)
    context = {
        "digest": digest,
        "covers": editions.covers(digest, digest.subscriber),
        "entries": list(zip(items, rates, strict=True)),
        "here": request.path,
        "rating_choices": RATING_CHOICES,
    }
    return render(request, "digest/digest_page.html", context)


def _followable(query: str) -> bool:
    """Whether following ``query`` adds what its button says: interests as the account
    page reads them, none kept out ("-robotics" would be stored as a topic to keep out)."""
    try:
        interests = parse_interests(query)
    except ValidationError:
        return False
    return bool(interests) and not any(excluded for _, excluded in interests)


@require_safe
def paper_search(request):
    """``/papers/?q=``: the paper history ranked for the query as for an interest phrase.

    A signed-in reader can rate results in place and follow the query as an interest.
    """
    query = " ".join(CONTROL_CHARACTERS.sub(" ", request.GET.get("q", "")).split())
    problem, results, suggestion, status = "", [], None, 200
    if len(query) > SEARCH_QUERY_MAX:
        problem = f"A search is at most {SEARCH_QUERY_MAX} characters; try fewer words."
    elif (
        query
        and not selectors.paper_search_ranked_already(query)
        and is_ratelimited(
            request, group="search", key="ip", rate=settings.SEARCH_RATE_PER_IP, increment=True
        )
    ):
        problem, status = "Too many searches from your address; try again in a minute.", 429
    elif query:
        followed, excluded = selectors.search_topics(query)
        if not followed and excluded:
            problem = (
                f"“{excluded[0]}” is read as a topic to keep out: add one to look for, as in "
                f"“transformers, -{excluded[0]}”."
            )
        results = selectors.paper_search(query)
        suggestion = selectors.respelled(query)
        suggestion = suggestion if suggestion != query else None
    page = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    papers = [paper for paper, _ in page]
    subscriber = Subscriber.objects.filter(id=request.session.get(SESSION_KEY)).first()
    if subscriber is not None:
        ratings = selectors.ratings_of(subscriber_id=subscriber.id, papers=papers)
        rates = rating_forms(subscriber.id, papers, ratings)
        following = subscriber.interests.filter(phrase__iexact=query).exists()
    else:
        rates, following = [None] * len(papers), False
    context = {
        "query": query,
        "problem": problem,
        "suggestion": suggestion,
        "page": page,
        "entries": list(zip(papers, rates, strict=True)),
        "capped": len(results) >= selectors.SEARCH_RESULTS,  # more may match
        "subscriber": subscriber,
        "can_follow": bool(subscriber and _followable(query) and not problem and not following),
        "excluded": selectors.search_topics(query)[1] if query and not problem else [],
        "here": request.get_full_path(),
        "rating_choices": RATING_CHOICES,
    }
    return render(request, "digest/search.html", context, status=status)


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


def _back_to(request, anchor: str) -> str | None:
    """The page a button was on (``next``, a path of this site only), at ``anchor``; None
    when there is no such page."""
    target = request.POST.get("next", "")
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return None
    return f"{target.split('#')[0]}#{anchor}"


@require_POST
@subscriber_required
def rating_set(request, subscriber, paper_id, value):
    """ "More / less like this" from a page of the site, for the signed-in reader."""
    paper = get_object_or_404(Paper, pk=paper_id)
    services.rating_record(subscriber=subscriber, paper=paper, value=value)
    back = _back_to(request, f"paper-{paper_id}")
    return redirect(back or reverse("accounts:account") + f"#paper-{paper_id}")


@require_POST
@subscriber_required
def rating_undo(request, subscriber, paper_id):
    """Undo from a list of rated papers; back to that list (``next``, a path of this site)."""
    if services.rating_undo(subscriber=subscriber, paper_id=paper_id):
        messages.success(request, "Your rating was removed.")
    return redirect(_back_to(request, "ratings") or reverse("accounts:account") + "#ratings")


@require_safe
@never_cache
@subscriber_required
def ratings(request, subscriber):
    """All the reader's ratings, newest first, a page at a time."""
    page = Paginator(selectors.ratings_for(subscriber=subscriber), RATINGS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "digest/ratings.html", {"subscriber": subscriber, "page": page})


@require_POST
@subscriber_required
def feed_reset(request, subscriber):
    """A new secret feed URL; the old one stops working (for a URL that leaked)."""
    services.feed_token_reset(subscriber=subscriber)
    messages.success(request, "Your feed has a new address. Update it in your feed reader.")
    return redirect(reverse("accounts:account") + "#feed")


@require_safe
@never_cache
@full_signin_required
def export(request, subscriber):
    """Download my data: everything stored about the subscriber, as a JSON file."""
    response = JsonResponse(
        selectors.subscriber_export(subscriber=subscriber), json_dumps_params={"indent": 2}
    )
    filename = f"paper-digest-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
