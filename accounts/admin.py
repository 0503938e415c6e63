from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from digest.services import digest_send_batch

from . import selectors, services
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
            services.subscriber_send_confirmation(subscriber=subscriber)
        skipped = queryset.count() - len(pending)
        self.message_user(
            request, f"Confirmation sent to {len(pending)}; {skipped} not pending, skipped."
        )

    @admin.action(description="Send a digest now")
    def send_digest_now(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        result = digest_send_batch(subscriber_ids=ids, now=timezone.now())
        level = messages.WARNING if result.failed or result.retry else messages.SUCCESS
        self.message_user(
            request,
            f"Digests sent: {result.sent}, skipped (inactive, no match or already sent today): "
            f"{result.skipped}, failed: {result.failed}, to retry: {result.retry}.",
            level,
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
