"""Papers stored before sources read TeX outside math (accents, Greek letters, dashes, URLs:
"Fr\\'echet" as "Fréchet") get their titles and abstracts as they read now, by 0006's
re-reading; the next index build fits the new text."""

import importlib

from django.db import migrations

read_as_text = importlib.import_module(
    "digest.migrations.0006_papers_tex_read_as_text"
).papers_read_as_text


class Migration(migrations.Migration):
    dependencies = [
        ("digest", "0007_rating_reader_created"),
    ]

    operations = [
        migrations.RunPython(read_as_text, migrations.RunPython.noop, elidable=True),
    ]
