"""Paper sources: each module turns a remote response into ``PaperRecord`` pages.

A source module has ``SOURCE`` (its name) and ``fetch(*, client, categories, since, cursor)``
yielding ``Page``s, newest first where the source has an order.
"""

from . import arxiv_api, arxiv_rss, daily_papers

SOURCES = {module.SOURCE: module for module in (arxiv_api, arxiv_rss, daily_papers)}
