"""Papers stored before sources read TeX as text (digest.sources.base.readable) get their
titles and abstracts as they read; the next index build fits the new text."""

from django.db import migrations
from django.db.models import Q

from digest.sources.base import normalize_title, readable

BATCH = 1000


def papers_read_as_text(apps, schema_editor):
    Paper = apps.get_model("digest", "Paper")
    tex = Q()
    for mark in ("$", "\\", "``"):
        tex |= Q(title__contains=mark) | Q(abstract__contains=mark)
    changed = []
    for paper in Paper.objects.filter(tex).only("title", "abstract").iterator(BATCH):
        title, abstract = readable(paper.title), readable(paper.abstract)
        if (title, abstract) != (paper.title, paper.abstract):
            paper.title, paper.abstract = title, abstract
            paper.title_key = normalize_title(title)[:500]
            changed.append(paper)
    Paper.objects.bulk_update(changed, ["title", "abstract", "title_key"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("digest", "0005_sending_outcome_unknown"),
    ]

    operations = [
        migrations.RunPython(papers_read_as_text, migrations.RunPython.noop, elidable=True),
    ]
