import calendar

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from kombu.exceptions import OperationalError

from digest.admin import ReadOnlyAdmin
from digest.models import Digest, Rating

from . import selectors, services, tasks
from .forms import PHRASE_MIN, EmailAddressField
from .models import AccountMail, Interest, Subscriber


class InterestFormSet(forms.BaseInlineFormSet):
    """The reader's interests, one of each phrase whatever its case (the inline shows them
    all; the database's case-insensitive constraint would refuse a second with a 500)."""

    def clean(self):
        super().clean()
        kept = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            phrase = data.get("phrase")
            if not phrase or data.get("DELETE"):
                continue
            if len(phrase) < PHRASE_MIN:
                form.add_error("phrase", f"An interest needs at least {PHRASE_MIN} characters.")
            elif phrase.lower() in kept:
                form.add_error("phrase", "The reader already has this interest (in any case).")
            kept.add(phrase.lower())


class InterestInline(admin.TabularInline):
    model = Interest
    formset = InterestFormSet
    extra = 1
    fields = ["phrase", "weight", "excluded"]
    classes = ["no-original"]

    class Media:
        css = {"all": ["admin-extra/inlines.css"]}


class SubscriberAdminForm(forms.ModelForm):
    """The reader's address is checked as the site checks it (its canonical spelling, one
    that mail can reach), and one another reader has is a form error, not a 500."""

    email = EmailAddressField(label="Email")
    weekly_day = forms.TypedChoiceField(
        label="Day for weekly digests", choices=list(enumerate(calendar.day_name)), coerce=int
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        if Subscriber.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another reader has this address.")
        return email


PREVIEWS_SHOWN = 20
"""Readers the "Preview the next digest" action shows at once."""


def _changelist_link(model, subscriber, label: str) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?subscriber__id__exact={}">{}</a>', url, subscriber.pk, label)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    form = SubscriberAdminForm
    list_display = [
        "email",
        "status",
        "schedule",
        "timezone",
        "max_papers",
        "confirmed_at",
        "last_login_at",
    ]
    list_filter = ["status", "frequency", "timezone"]
    search_fields = ["email"]
    readonly_fields = ["created_at", "confirmed_at", "last_login_at", "history"]
    inlines = [InterestInline]
    actions = ["resend_confirmation", "send_digest_now", "preview_next_digest"]

    @admin.display(description="Delivery", ordering="frequency")
    def schedule(self, subscriber):
        day = (
            f", {calendar.day_name[subscriber.weekly_day]}"
            if subscriber.frequency == Subscriber.Frequency.WEEKLY
            else ""
        )
        return f"{subscriber.get_frequency_display()}{day} at {subscriber.send_hour:02d}:00"

    @admin.display(description="Digests and ratings")
    def history(self, subscriber):
        if subscriber.pk is None:
            return "-"
        digests = Digest.objects.filter(subscriber=subscriber).count()
        ratings = Rating.objects.filter(subscriber=subscriber).count()
        return format_html(
            "{} · {}",
            _changelist_link(Digest, subscriber, f"{digests} digest{'s' * (digests != 1)}"),
            _changelist_link(Rating, subscriber, f"{ratings} rating{'s' * (ratings != 1)}"),
        )

    @admin.action(description="Resend the confirmation email")
    def resend_confirmation(self, request, queryset):
        pending = queryset.filter(status=Subscriber.Status.PENDING)
        for subscriber in pending:
            services.subscriber_queue_confirmation(subscriber=subscriber)
        skipped = queryset.count() - len(pending)
        self.message_user(
            request, f"Confirmation queued for {len(pending)}; {skipped} not pending, skipped."
        )

    @admin.action(description="Send a digest now")
    def send_digest_now(self, request, queryset):
        ids = list(queryset.filter(status=Subscriber.Status.ACTIVE).values_list("id", flat=True))
        skipped = queryset.count() - len(ids)
        try:
            tasks.send_digest_now.delay(ids, timezone.now().isoformat())
        except OperationalError:  # the broker did not answer
            self.message_user(
                request,
                "The task queue did not answer, so no digest was queued; try again in a minute.",
                messages.ERROR,
            )
            return
        self.message_user(
            request,
            f"Digests queued for {len(ids)} subscriber(s); {skipped} not active, skipped. Readers "
            "with no match and those already sent today's digest are skipped too. See Digests "
            "for outcomes.",
        )

    @admin.action(description="Preview the next digest")
    def preview_next_digest(self, request, queryset):
        previews = [
            (s, selectors.subscriber_preview(subscriber=s))
            for s in queryset.order_by("email")[:PREVIEWS_SHOWN]
        ]
        if (selected := queryset.count()) > PREVIEWS_SHOWN:
            self.message_user(
                request,
                f"The first {PREVIEWS_SHOWN} of the {selected} readers selected, by address: "
                "each preview runs the recommender.",
                messages.WARNING,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Next digest preview",
            "opts": self.model._meta,
            "previews": previews,
        }
        return TemplateResponse(request, "admin/accounts/subscriber/preview.html", context)


@admin.register(AccountMail)
class AccountMailAdmin(ReadOnlyAdmin):
    """Account mail of the last day: "waiting" is mail no worker has taken yet (the
    broker was down, or the provider keeps saying "not now"); it is tried again at its
    next attempt."""

    list_display = ["kind", "address", "created_at", "taken", "next_attempt_at"]
    list_filter = ["kind", ("claimed_at", admin.EmptyFieldListFilter)]
    search_fields = ["address"]

    @admin.display(description="Taken by a worker")
    def taken(self, mail):
        return mail.claimed_at or "waiting"
