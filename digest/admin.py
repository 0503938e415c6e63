from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Subscriber

from . import selectors
from .models import Digest, DigestItem, DigestRun, IngestRun, Paper, Rating

admin.site.site_header = f"{settings.SITE_NAME} staff"
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = "Subscribers, papers and digests"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the jobs: staff look, nobody edits or deletes them one by one.

    Delete permission stays, so that deleting a subscriber deletes their records too; the
    records' own delete pages answer 403.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        # Only through their subscriber: a digest deleted alone is an edition sent again.
        raise PermissionDenied


class ReaderRecordsAdmin(ReadOnlyAdmin):
    """A list of readers' records, millions of rows in a year: a page newest first by id,
    no full count, searched by a reader's exact address (the reader looked up first, so
    that their records are read through their index) or else by ``search_exactly``."""

    ordering = ["-id"]
    show_full_result_count = False
    search_exactly: str

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        readers = list(Subscriber.objects.with_email(term).values_list("id", flat=True))
        if readers:
            return queryset.filter(subscriber_id__in=readers), False
        return queryset.filter(**{self.search_exactly: term}), False


def rounded(score: float) -> str:
    """Scores to three decimals: enough to compare papers, short enough to read."""
    return f"{score:.3f}"


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    """Searching a year's titles and abstracts by substring took 4.1 s at 150,000 papers
    (make bench-history; titles alone 0.4 s more than the list's 0.15 s): the search reads
    the paper index instead, as the site's search does, and finds a whole title or an
    arXiv id through their database indexes."""

    list_display = ["title", "source", "external_id", "published", "ingested_at", "upvotes"]
    list_filter = ["source", "published", "ingested_at"]
    search_fields = ["title", "external_id"]  # see get_search_results
    search_help_text = (
        "Words of a title or abstract (as the site's search reads them), a whole title or an "
        "arXiv id."
    )
    date_hierarchy = "ingested_at"
    readonly_fields = ["title_key", "ingested_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or {"title", "abstract"} & set(form.changed_data):
            self._rebuild_index(request)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._rebuild_index(request)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._rebuild_index(request)

    def _rebuild_index(self, request):
        """Search and digests read the paper index, not the table: a paper's new text (or
        its removal) reaches them once the index is built again."""
        from .tasks import build_index  # (the tasks import the admin's app through views)

        transaction.on_commit(build_index.delay)
        self.message_user(request, "The paper index is being rebuilt with this change.")

    def get_search_results(self, request, queryset, search_term):
        """The papers the site's search finds for the words (titles and abstracts of the
        index), and the paper with that whole title or arXiv id (also a paper older than
        the index's window or newer than the index)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        found = [paper_id for paper_id, _ in selectors.paper_search_ranking(term)]
        return queryset.filter(
            Q(id__in=found) | Q(title_key=Paper.key_of(term)) | Q(external_id=term)
        ), False


class DigestItemInline(admin.TabularInline):
    model = DigestItem
    fields = ["rank", "paper", "relevance", "why"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    classes = ["no-original"]

    class Media:
        css = {"all": ["admin-extra/inlines.css"]}

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Score", ordering="score")
    def relevance(self, item):
        return rounded(item.score)

    @admin.display(description="Why recommended (top terms)")
    def why(self, item):
        return ", ".join(item.terms)


@admin.register(Digest)
class DigestAdmin(ReaderRecordsAdmin):
    """A year of digests is millions of rows. The list reads one page, newest first by
    id; counts the papers of that page only; finds a reader by their exact address; and
    counts only what a filter or search keeps. Measured with bench-history (20,000 papers,
    2,000 readers, 7.3 million digest items): the list took 9.5 s and a reader's digests
    2.2 s when it counted every digest's papers, sorted by edition, searched addresses by
    substring and listed the years; now 99 ms and 66 ms."""

    list_display = ["subscriber", "edition", "status", "papers", "sent_at", "attempts"]
    list_filter = ["status", "edition"]
    search_fields = ["subscriber__email", "message_id"]  # see get_search_results
    list_select_related = ["subscriber"]
    inlines = [DigestItemInline]
    search_exactly = "message_id"

    def get_queryset(self, request):
        papers = (
            DigestItem.objects.filter(digest=OuterRef("pk"))
            .order_by()
            .values("digest")
            .annotate(n=Count("*"))
            .values("n")
        )
        return super().get_queryset(request).annotate(n_items=Coalesce(Subquery(papers), 0))

    @admin.display(description="Papers")
    def papers(self, digest):
        return digest.n_items


@admin.register(IngestRun)
class IngestRunAdmin(ReadOnlyAdmin):
    list_display = [
        "source",
        "started_at",
        "finished_at",
        "seen",
        "new",
        "updated",
        "failed",
        "status",
    ]
    list_filter = ["status", "source"]
    search_fields = ["error"]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "edition",
        "due",
        "sent",
        "skipped",
        "failed",
        "interrupted",
        "duration",
    ]
    date_hierarchy = "started_at"

    @admin.display(description="Duration")
    def duration(self, run):
        if run.finished_at is None:
            return "running"
        return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"


@admin.register(Rating)
class RatingAdmin(ReaderRecordsAdmin):
    """A year of ratings is millions of rows, read as the digests' list reads them.
    Measured with bench-history (20,000 papers, 2,000 readers rating every other day,
    364,000 ratings): the list took 211 ms sorted by time with every rating counted, now
    42 ms (80 ms at full size, 1.82 million ratings)."""

    list_display = ["subscriber", "paper", "value", "created_at"]
    list_filter = ["value"]
    search_fields = ["subscriber__email"]  # see get_search_results
    search_help_text = "A reader's exact address, or a paper's arXiv id."
    list_select_related = ["subscriber", "paper"]
    search_exactly = "paper__external_id"
