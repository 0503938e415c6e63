from functools import partial

from django.contrib import admin
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone

from . import selectors, services, tasks
from .models import Interest, Subscriber


class InterestInline(admin.TabularInline):
    model = Interest
    extra = 1
    fields = ["phrase", "weight", "excluded"]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "status",
        "frequency",
        "timezone",
        "send_hour",
        "max_papers",
        "confirmed_at",
        "last_login_at",
    ]
    list_filter = ["status", "frequency", "timezone"]
    search_fields = ["email"]
    readonly_fields = ["created_at", "confirmed_at", "last_login_at"]
    inlines = [InterestInline]
    actions = ["resend_confirmation", "send_digest_now", "preview_next_digest"]

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
        ids = list(queryset.values_list("id", flat=True))
        now = timezone.now().isoformat()
        transaction.on_commit(partial(tasks.send_digest_now.delay, ids, now))
        self.message_user(
            request,
            f"Digests queued for {len(ids)} subscriber(s); inactive readers, readers with no "
            "match and those already sent today's digest are skipped. See Digests for outcomes.",
        )

    @admin.action(description="Preview the next digest")
    def preview_next_digest(self, request, queryset):
        previews = [
            (s, selectors.subscriber_preview(subscriber=s)) for s in queryset.order_by("email")[:20]
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Next digest preview",
            "opts": self.model._meta,
            "previews": previews,
        }
        return TemplateResponse(request, "admin/accounts/subscriber/preview.html", context)
