from functools import cache, partial, wraps

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.html import format_html_join
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from . import selectors, services
from .addresses import email_key, mask_email
from .forms import AddInterestsForm, DeliveryForm, EmailForm, InterestFormSet, SubscribeForm
from .models import Interest, Subscriber, known_timezones
from .tokens import BadToken, read_signin_token, read_token

SESSION_KEY = "subscriber_id"
# Set to "settings" for a session opened by a digest's settings link: it may change the
# settings but not download or delete the data. A sign-in or confirmation link opens a
# full session (no scope key).
SCOPE_KEY = "signin_scope"
SETTINGS_SCOPE = "settings"


def _sign_in(request, subscriber: Subscriber, *, scope: str | None = None) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = subscriber.id
    if scope:
        request.session[SCOPE_KEY] = scope
    else:
        request.session.pop(SCOPE_KEY, None)


def _settings_only(request) -> bool:
    """Whether the session was opened by a digest's settings link (which a forwarded digest
    hands on): it may change settings, not download, move or delete the account."""
    return request.session.get(SCOPE_KEY) == SETTINGS_SCOPE


def subscriber_required(view):
    """Pass the signed-in subscriber to the view; others go to the sign-in page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        subscriber = Subscriber.objects.filter(id=request.session.get(SESSION_KEY)).first()
        if subscriber is None:
            return redirect("accounts:signin_request")
        return view(request, subscriber, *args, **kwargs)

    return wrapper


def full_signin_required(view):
    """Like ``subscriber_required``, but a session opened by a digest's settings link (which
    a forwarded digest hands on) must first sign in with a link emailed on request."""

    @wraps(view)
    @subscriber_required
    def wrapper(request, subscriber, *args, **kwargs):
        if _settings_only(request):
            messages.info(
                request,
                "To download your data, move your mail or delete your account, sign in with "
                "a link we email you first.",
            )
            return redirect("accounts:signin_request")
        return view(request, subscriber, *args, **kwargs)

    return wrapper


def _email_key(group, request):
    return email_key(request.POST.get("email", ""))


def _over_ip_limit(request, group: str) -> bool:
    """Count this POST against its IP address's limit; whether it is over."""
    return is_ratelimited(
        request, group=group, key="ip", rate=settings.ACCOUNT_RATE_PER_IP, increment=True
    )


def _over_email_limit(request, group: str) -> bool:
    """Count this request for mail against its address's limit; whether it is over. Only
    valid requests are counted: a form sent back with a mistake, the reader's or a
    stranger's, uses up none of an address's attempts."""
    return is_ratelimited(
        request, group=group, key=_email_key, rate=settings.ACCOUNT_RATE_PER_EMAIL, increment=True
    )


def _admin_username(group, request):
    return request.POST.get("username", "").strip().lower()


@require_http_methods(["GET", "HEAD", "POST"])
def admin_login(request, **kwargs):
    """Admin's login page, with at most ``ADMIN_LOGIN_RATE`` attempts per IP address and
    per user name (django-ratelimit), so passwords cannot be guessed at speed."""
    if request.method == "POST":
        limited = [
            is_ratelimited(
                request,
                group="admin-login",
                key=key,
                rate=settings.ADMIN_LOGIN_RATE,
                increment=True,
            )
            for key in ("ip", _admin_username)
        ]
        if any(limited):
            return render(request, "admin/login_throttled.html", status=429)
    return admin.site.login(request, **kwargs)


TOO_MANY = "Too many requests from you or for this address. Please try again in an hour."


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request):
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_bot():
            return render(request, "accounts/check_inbox.html")
        if _over_ip_limit(request, "subscribe"):
            form.add_error(None, TOO_MANY)
            return _subscribe_page(request, form, status=429)
        if form.is_valid():
            if _over_email_limit(request, "subscribe"):
                form.add_error(None, TOO_MANY)
                return _subscribe_page(request, form, status=429)
            interests = form.cleaned_data["interests"]
            services.subscriber_subscribe(
                email=form.cleaned_data["email"], interests=interests, **form.delivery()
            )
            # From what was typed only, so the page is the same for a known address.
            typed = selectors.interests_unknown_words(phrases=[p for p, _ in interests])
            return render(request, "accounts/check_inbox.html", {"unknown_words": typed})
    return _subscribe_page(request, form)


def _subscribe_page(request, form, status=200):
    context = {"form": form, "timezone_options": _timezone_options()}
    return render(request, "accounts/subscribe.html", context, status=status)


@require_safe
def interest_suggest(request):
    """``?q=spee``: phrases of last week's papers starting so, with their paper counts (JSON).

    Browsers keep an answer for five minutes, so typing the same letters again asks nothing.
    """
    if is_ratelimited(
        request, group="suggest", key="ip", rate=settings.INTEREST_SUGGEST_RATE, increment=True
    ):
        return JsonResponse({"error": "Too many requests; try again in a minute."}, status=429)
    text = request.GET.get("q", "")[:100]
    suggestions = selectors.interest_suggestions(text=text)
    response = JsonResponse(
        {"suggestions": [{"phrase": s.phrase, "papers": s.papers} for s in suggestions]}
    )
    patch_cache_control(response, max_age=300)
    return response


def bad_link(request, error: BadToken):
    """An emailed link that does not work: why, and a form to ask for a sign-in link."""
    return render(
        request, "accounts/bad_link.html", {"error": str(error), "form": EmailForm()}, status=400
    )


def _link_page(request, action: str, button: str, text: str):
    """What an emailed link opens: one button that acts (POST), so a mail scanner's GET or
    HEAD changes nothing and leaves the link usable."""
    context = {"action": action, "button": button, "text": text}
    return render(request, "accounts/link_action.html", context)


def _single_use_link(request, token, *, check, page, use, done):
    """A single-use emailed link: GET and HEAD check it (``check(token=...)``) and show
    ``page`` (title, button, text), so a mail scanner uses nothing; the button's POST uses
    it (``use(token=...)``), signs the subscriber in and answers ``done(subscriber)``."""
    try:
        if request.method != "POST":
            check(token=token)
            return _link_page(request, *page)
        subscriber = use(token=token)
    except BadToken as e:
        return bad_link(request, e)
    _sign_in(request, subscriber)
    return done(subscriber)


def _sign_in_link_check(purpose: str, max_age: int):
    """Checks a confirm or sign-in link without using it up (see ``services._use_link``)."""
    return partial(selectors.subscriber_from_link, purpose=purpose, max_age=max_age)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token):
    def welcome(subscriber):
        # A link sent to an address that had signed in before carries that sign-in's time;
        # subscribing again kept its interests and delivery, so it goes to the account. (Of
        # any age: the link was checked when used, and may have expired since.)
        _, nonce = read_signin_token(token, "confirm", max_age=None)
        if nonce:
            messages.success(
                request, "Welcome back: your digest is on again, with the interests you had."
            )
            return redirect("accounts:account")
        messages.success(request, "Your subscription is confirmed. Welcome!")
        return redirect("accounts:start")

    return _single_use_link(
        request,
        token,
        check=_sign_in_link_check("confirm", settings.ACCOUNT_CONFIRM_MAX_AGE),
        page=(
            "Confirm your subscription",
            "Confirm my subscription",
            "One click and your digest starts.",
        ),
        use=services.subscriber_confirm,
        done=welcome,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def signin_request(request):
    form = EmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _over_ip_limit(request, "signin"):
            form.add_error(None, TOO_MANY)
            return render(request, "accounts/signin_request.html", {"form": form}, status=429)
        if form.is_valid():
            if _over_email_limit(request, "signin"):
                # Requests for someone else's address must not lock them out: the links
                # already sent still work, so say so and send no more.
                context = {"signin": True, "already_sent": True}
                return render(request, "accounts/check_inbox.html", context)
            services.subscriber_request_signin(email=form.cleaned_data["email"])
            return render(request, "accounts/check_inbox.html", {"signin": True})
    return render(request, "accounts/signin_request.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def signin(request, token):
    return _single_use_link(
        request,
        token,
        check=_sign_in_link_check("signin", settings.ACCOUNT_SIGNIN_MAX_AGE),
        page=("Sign in", "Sign in", "The link works once."),
        use=services.subscriber_signin,
        done=lambda subscriber: redirect("accounts:account"),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def settings_link(request, token):
    """A digest's "Tune your interests" link: opens the settings (not export or delete)."""
    try:
        subscriber = selectors.subscriber_from_settings_link(token=token)
    except BadToken as e:
        return bad_link(request, e)
    if request.method != "POST":
        return _link_page(
            request,
            "Your digest settings",
            "Open my settings",
            "Change your interests, how often and when your digest comes.",
        )
    already_full = request.session.get(SESSION_KEY) == subscriber.id and not request.session.get(
        SCOPE_KEY
    )
    if not already_full:
        _sign_in(request, subscriber, scope=SETTINGS_SCOPE)
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


def _interests_formset(subscriber, data=None):
    return InterestFormSet(data, queryset=subscriber.interests.all(), prefix="interests")


def _account_page(request, subscriber, status=200, **forms):
    prefetch_related_objects([subscriber], "interests")  # the preview key, formset, preview
    last_sent = selectors.subscriber_last_sent(subscriber=subscriber)
    preview_key = selectors.subscriber_preview_key(subscriber=subscriber, last_sent=last_sent)
    context = {
        "subscriber": subscriber,
        "delivery_form": forms.get("delivery_form") or DeliveryForm(instance=subscriber),
        "email_form": forms.get("email_form") or EmailForm(),
        "timezone_options": _timezone_options(),
        "add_form": forms.get("add_form") or AddInterestsForm(subscriber=subscriber),
        "interests_formset": forms.get("interests_formset") or _interests_formset(subscriber),
        "unknown_words": selectors.subscriber_unknown_words(subscriber=subscriber),
        "recent_matches": selectors.subscriber_recent_matches(subscriber=subscriber),
        # The preview is cached by its data (see subscriber_preview_key); the past digests
        # are a cached fragment, read and rendered only when a digest was sent since.
        "preview_key": preview_key,
        "preview": partial(selectors.subscriber_preview, subscriber=subscriber, key=preview_key),
        "past_digests": partial(selectors.subscriber_past_digests, subscriber=subscriber),
        "new_papers": partial(selectors.subscriber_has_new_papers, subscriber=subscriber),
        "last_sent": last_sent,
        "full_signin": not _settings_only(request),
    }
    return render(request, "accounts/account.html", context, status=status)


@never_cache
@subscriber_required
def account(request, subscriber):
    return _account_page(request, subscriber)


@subscriber_required
def start(request, subscriber):
    """After confirming: rate a few recent papers, so the first digest already fits."""
    context = {
        "subscriber": subscriber,
        "papers": selectors.subscriber_onboarding_papers(subscriber=subscriber),
        "unknown_words": selectors.subscriber_unknown_words(subscriber=subscriber),
        "recent_matches": selectors.subscriber_recent_matches(subscriber=subscriber),
    }
    return render(request, "accounts/start.html", context)


@require_POST
@never_cache
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
@never_cache
@subscriber_required
def interests_add(request, subscriber):
    form = AddInterestsForm(request.POST, subscriber=subscriber)
    if not form.is_valid():
        return _account_page(request, subscriber, status=400, add_form=form)
    services.interests_add(
        subscriber=subscriber,
        interests=[
            (phrase, excluded or form.cleaned_data["excluded"])
            for phrase, excluded in form.cleaned_data["phrases"]
        ],
    )
    messages.success(request, "Interests added; the preview below is updated.")
    return redirect("accounts:account")


@require_POST
@never_cache
@subscriber_required
def interests_save(request, subscriber):
    """Every row of the interests table at once; a bad weight is shown next to its row."""
    formset = _interests_formset(subscriber, request.POST)
    if not formset.is_valid():
        return _account_page(request, subscriber, status=400, interests_formset=formset)
    services.interests_update(interests=formset.save(commit=False))
    messages.success(request, "Interests saved; the preview below is updated.")
    return redirect("accounts:account")


@require_POST
@subscriber_required
def interest_remove(request, subscriber, pk):
    interest = subscriber.interests.filter(pk=pk).first()
    if interest is None and not Interest.objects.filter(pk=pk).exists():
        # Pressed twice, or in another tab: it is gone, as asked.
        messages.info(request, "That interest was already removed.")
        return redirect("accounts:account")
    if interest is None:
        raise Http404("No such interest.")
    services.interest_remove(interest=interest)
    messages.success(request, f"Removed “{interest.phrase}”.")
    return redirect("accounts:account")


@require_POST
@never_cache
@full_signin_required
def email_change_request(request, subscriber):
    """Send a link to a new address; the mail moves there only when it is used. (A
    settings-link session cannot: a forwarded digest must not hand the account over.)"""
    form = EmailForm(request.POST)
    if _over_ip_limit(request, "email-change"):
        form.add_error(None, TOO_MANY)
        return _account_page(request, subscriber, status=429, email_form=form)
    if form.is_valid():
        if _over_email_limit(request, "email-change"):
            form.add_error(None, TOO_MANY)
            return _account_page(request, subscriber, status=429, email_form=form)
        email = form.cleaned_data["email"]
        if email_key(email) == email_key(subscriber.email):
            form.add_error("email", "That is your address already.")
        else:
            services.subscriber_request_email_change(subscriber=subscriber, email=email)
            messages.success(
                request,
                f"We sent a link to {email}. Your digests go there once you open it; "
                "until then they come here.",
            )
            return redirect("accounts:account")
    return _account_page(request, subscriber, status=400, email_form=form)


@require_http_methods(["GET", "HEAD", "POST"])
def email_change(request, token):
    def moved(subscriber):
        messages.success(request, f"Your digests now go to {subscriber.email}.")
        return redirect("accounts:account")

    return _single_use_link(
        request,
        token,
        check=selectors.subscriber_from_email_change_link,
        page=(
            "Change your address",
            "Send my digests here",
            "Your digests and account mail will come to this address.",
        ),
        use=services.subscriber_change_email,
        done=moved,
    )


@require_POST
@full_signin_required
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


ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058's POST body


def _unsubscribe_page(request, subscriber, token, note=""):
    context = {
        "subscriber": subscriber,
        "masked_email": mask_email(subscriber.email),
        "token": token,
        "one_click": ONE_CLICK,
        "note": note,
    }
    return render(request, "accounts/unsubscribe.html", context)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """The ``List-Unsubscribe`` link. GET (what a link scanner does) shows the choices;
    the RFC 8058 POST (``List-Unsubscribe=One-Click``), from the mail client or the page's
    button, unsubscribes. No CSRF token: the mail client has none, and the signed token
    in the URL already names the reader."""
    try:
        subscriber = _unsubscribe_subscriber(token)
    except BadToken as e:
        return bad_link(request, e)
    one_click = request.method == "POST" and request.POST.get(ONE_CLICK[0]) == ONE_CLICK[1]
    # A bounced address stays bounced: were it marked unsubscribed, "subscribe again" on
    # this page would turn mail to it back on without anything showing that it works.
    stopped = (Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.BOUNCED)
    if one_click and subscriber.status not in stopped:
        services.subscriber_unsubscribe(subscriber=subscriber)
    return _unsubscribe_page(request, subscriber, token)


@require_POST
def unsubscribe_change(request, token):
    """From the unsubscribe page: weekly instead, pause, or subscribe again."""
    try:
        subscriber = _unsubscribe_subscriber(token)
    except BadToken as e:
        return bad_link(request, e)
    if subscriber.status == Subscriber.Status.BOUNCED:
        return bad_link(
            request,
            BadToken(
                "Emails to this address bounced: sign in with a link we email you to turn "
                "your digest back on."
            ),
        )
    choice = request.POST.get("to")
    if choice == "paused":
        services.subscriber_set_status(subscriber=subscriber, status=Subscriber.Status.PAUSED)
        note = ""  # the page's heading says it
    elif choice == "weekly":
        services.subscriber_make_weekly(subscriber=subscriber)
        note = f"From now on your digest comes {subscriber.schedule}."
    elif choice == "active":
        services.subscriber_set_status(subscriber=subscriber, status=Subscriber.Status.ACTIVE)
        note = "Welcome back: your digest is on again."
    else:
        return HttpResponseBadRequest("Choose weekly, pause or subscribe again on the page.")
    return _unsubscribe_page(request, subscriber, token, note)
