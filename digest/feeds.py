"""Each reader's personal Atom feed of the papers picked for them, for feed readers and
Zotero. Its URL carries a random secret (``Subscriber.feed_token``), reset from the
account page."""

from datetime import UTC, datetime, time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure
from django.views.decorators.http import condition

from accounts.models import Subscriber

from . import selectors

FEED_ITEMS = 100
"""Papers in a feed: the newest picks (two to ten digests' worth at the usual sizes)."""


class ReaderFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = "private, max-age=900"
        return response

    def get_object(self, request, token):
        subscriber = Subscriber.objects.filter(feed_token=token).first()
        if subscriber is None:
            raise Http404("No feed here.")
        return subscriber

    def title(self, subscriber):
        return f"{settings.SITE_NAME}: papers picked for you"

    def subtitle(self, subscriber):
        return "The papers of your digests, newest first."

    def link(self, subscriber):
        return settings.SITE_URL + "/"

    def feed_url(self, subscriber):
        return settings.SITE_URL + reverse("digest:feed", args=[subscriber.feed_token])

    def feed_guid(self, subscriber):
        """The feed's own address, so a feed reader keeps each reader's feed apart (by
        default the Atom id is ``link``, the same site root for everyone)."""
        return self.feed_url(subscriber)

    def items(self, subscriber):
        return selectors.feed_items(subscriber=subscriber, limit=FEED_ITEMS)

    def item_title(self, item):
        return item.paper.title

    def item_link(self, item):
        return item.paper.url

    def item_description(self, item):
        return item.paper.abstract

    def item_author_name(self, item):
        return item.paper.byline or None

    def item_pubdate(self, item):
        return item.digest.sent_at or datetime.combine(item.digest.edition, time(), tzinfo=UTC)

    def item_updateddate(self, item):
        """Each entry's ``<updated>``, which RFC 4287 requires: when it was sent (it does not
        change after)."""
        return self.item_pubdate(item)

    def item_guid(self, item):
        host = urlsplit(settings.SITE_URL).hostname
        return f"tag:{host},{item.digest.edition}:paper/{item.paper_id}"

    item_guid_is_permalink = False

    def item_enclosures(self, item):
        return [Enclosure(item.paper.pdf, "0", "application/pdf")] if item.paper.pdf else []

    def item_categories(self, item):
        return item.paper.categories or ()


def _changed_at(request, token):
    """When the feed last changed: its reader's newest sent digest."""
    return selectors.feed_changed_at(token=token)


reader_feed = condition(last_modified_func=_changed_at)(ReaderFeed())
"""The feed view: a feed reader polling with If-Modified-Since gets 304 Not Modified from
one query until a new digest is sent, instead of the feed's papers again."""
