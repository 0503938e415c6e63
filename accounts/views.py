from functools import cache, partial, wraps

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html_join
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from . import selectors, services
from .forms import AddInterestsForm, DeliveryForm, EmailForm, InterestForm, SubscribeForm
from .models import Subscriber, known_timezones
from .tokens import BadToken, read_token

SESSION_KEY = "subscriber_id"


def _sign_in(request, subscriber: Subscriber) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = subscriber.id


def subscriber_required(view):
    """Pass the signed-in subscriber to the view; others go to the sign-in page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        subscriber = Subscriber.objects.filter(id=request.session.get(SESSION_KEY)).first()
        if subscriber is None:
            return redirect("accounts:signin_request")
        return view(request, subscriber, *args, **kwargs)

    return wrapper


def _email_key(group, request):
    return request.POST.get("email", "").strip().lower()


def _too_many(request, group: str) -> bool:
    """Count this attempt per IP address and per email address; True when over a limit."""
    by_ip = is_ratelimited(
        request, group=group, key="ip", rate=settings.ACCOUNT_RATE_PER_IP, increment=True
    )
    by_email = is_ratelimited(
        request, group=group, key=_email_key, rate=settings.ACCOUNT_RATE_PER_EMAIL, increment=True
    )
    return by_ip or by_email


TOO_MANY = "Too many requests from you or for this address. Please try again in an hour."


@require_http_methods(["GET", "POST"])
def subscribe(request):
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if form.is_bot():
            return render(request, "accounts/check_inbox.html")
        if _too_many(request, "subscribe"):
            form.add_error(None, TOO_MANY)
            return render(request, "accounts/subscribe.html", {"form": form}, status=429)
        if form.is_valid():
            services.subscriber_subscribe(
                email=form.cleaned_data["email"], interests=form.cleaned_data["interests"]
            )
            return render(request, "accounts/check_inbox.html")
    return render(request, "accounts/subscribe.html", {"form": form})


def _bad_link(request, error: BadToken):
    return render(
        request, "accounts/bad_link.html", {"error": str(error), "form": EmailForm()}, status=400
    )


def confirm(request, token):
    try:
        subscriber = services.subscriber_confirm(token=token)
    except BadToken as e:
        return _bad_link(request, e)
    _sign_in(request, subscriber)
    messages.success(request, "Your subscription is confirmed. Welcome!")
    return redirect("accounts:account")


@require_http_methods(["GET", "POST"])
def signin_request(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST":
        if _too_many(request, "signin"):
            form.add_error(None, TOO_MANY)
            return render(request, "accounts/signin_request.html", {"form": form}, status=429)
        if form.is_valid():
            services.subscriber_request_signin(email=form.cleaned_data["email"])
            return render(request, "accounts/check_inbox.html", {"signin": True})
    return render(request, "accounts/signin_request.html", {"form": form})


def signin(request, token):
    try:
        subscriber = services.subscriber_signin(token=token)
    except BadToken as e:
        return _bad_link(request, e)
    _sign_in(request, subscriber)
    return redirect("accounts:account")


@require_POST
def signout(request):
    request.session.flush()
    messages.info(request, "You are signed out.")
    return redirect("accounts:subscribe")


@cache
def _timezone_options() -> str:
    """The time zone picker's ~600 <option>s, built once instead of on every page."""
    return format_html_join("", '<option value="{}">', ((name,) for name in known_timezones()))


def _account_page(request, subscriber, status=200, **forms):
    interests = list(subscriber.interests.all())
    context = {
        "subscriber": subscriber,
        "delivery_form": forms.get("delivery_form") or DeliveryForm(instance=subscriber),
        "timezone_options": _timezone_options(),
        "add_form": forms.get("add_form") or AddInterestsForm(subscriber=subscriber),
        "interest_forms": [(i, InterestForm(instance=i, prefix=f"i{i.id}")) for i in interests],
        # The preview and the past digests are read and rendered only when their cached
        # fragments are missing (something they depend on changed).
        "preview_key": selectors.subscriber_preview_key(subscriber=subscriber),
        "preview": partial(selectors.subscriber_preview, subscriber=subscriber),
        "past_digests": partial(selectors.subscriber_past_digests, subscriber=subscriber),
        "last_sent": selectors.subscriber_last_sent(subscriber=subscriber),
    }
    return render(request, "accounts/account.html", context, status=status)


@subscriber_required
def account(request, subscriber):
    return _account_page(request, subscriber)


@require_POST
@subscriber_required
def delivery(request, subscriber):
    form = DeliveryForm(request.POST, instance=subscriber)
    if not form.is_valid():
        subscriber.refresh_from_db()
        return _account_page(request, subscriber, status=400, delivery_form=form)
    services.subscriber_update_delivery(
        subscriber=subscriber,
        **{name: form.cleaned_data[name] for name in DeliveryForm.Meta.fields},
        delivery=form.cleaned_data["delivery"],
    )
    messages.success(request, "Delivery settings saved.")
    return redirect("accounts:account")


@require_POST
@subscriber_required
def interests_add(request, subscriber):
    form = AddInterestsForm(request.POST, subscriber=subscriber)
    if not form.is_valid():
        return _account_page(request, subscriber, status=400, add_form=form)
    services.interests_add(
        subscriber=subscriber,
        phrases=form.cleaned_data["phrases"],
        excluded=form.cleaned_data["excluded"],
    )
    messages.success(request, "Interests added; the preview below is updated.")
    return redirect("accounts:account")


@require_POST
@subscriber_required
def interest_change(request, subscriber, pk):
    interest = get_object_or_404(subscriber.interests, pk=pk)
    if "remove" in request.POST:
        services.interest_remove(interest=interest)
        messages.success(request, f"Removed “{interest.phrase}”.")
        return redirect("accounts:account")
    form = InterestForm(request.POST, instance=interest, prefix=f"i{pk}")
    if not form.is_valid():
        messages.error(
            request, f"“{interest.phrase}” not saved: the weight must be between 0.1 and 5."
        )
        return redirect("accounts:account")
    services.interest_update(
        interest=interest,
        weight=form.cleaned_data["weight"],
        excluded=form.cleaned_data["excluded"],
    )
    messages.success(request, f"Saved “{interest.phrase}”.")
    return redirect("accounts:account")


@require_POST
@subscriber_required
def delete(request, subscriber):
    services.subscriber_delete(subscriber=subscriber)
    request.session.flush()
    messages.info(request, "Your account and all its data are deleted.")
    return redirect("accounts:subscribe")


def _unsubscribe_subscriber(token):
    payload = read_token(token, "unsubscribe")
    subscriber = Subscriber.objects.filter(id=payload["s"]).first()
    if subscriber is None:
        raise BadToken("This account no longer exists.")
    return subscriber


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """One click: the link in the email (GET) or the mail client's RFC 8058 POST."""
    try:
        subscriber = _unsubscribe_subscriber(token)
    except BadToken as e:
        return _bad_link(request, e)
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        services.subscriber_unsubscribe(subscriber=subscriber)
    return render(request, "accounts/unsubscribed.html", {"subscriber": subscriber, "token": token})


@require_POST
def unsubscribe_change(request, token):
    """From the unsubscribed page: pause instead, or subscribe again."""
    try:
        subscriber = _unsubscribe_subscriber(token)
    except BadToken as e:
        return _bad_link(request, e)
    if subscriber.status == Subscriber.Status.BOUNCED:
        return _bad_link(request, BadToken("Emails to this address bounce; subscribe again."))
    if request.POST.get("to") == "paused":
        services.subscriber_set_status(subscriber=subscriber, status=Subscriber.Status.PAUSED)
        note = "Your digest is paused. Resume it any time from your account page."
    else:
        services.subscriber_set_status(subscriber=subscriber, status=Subscriber.Status.ACTIVE)
        note = "Welcome back: your digest is on again."
    context = {"subscriber": subscriber, "note": note, "token": token}
    return render(request, "accounts/unsubscribed.html", context)
