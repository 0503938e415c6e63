from django.db import migrations, models

import accounts.models


def give_each_subscriber_a_feed_token(apps, schema_editor):
    Subscriber = apps.get_model("accounts", "Subscriber")
    subscribers = list(Subscriber.objects.only("id"))
    for subscriber in subscribers:
        subscriber.feed_token = accounts.models.new_feed_token()
    Subscriber.objects.bulk_update(subscribers, ["feed_token"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="feed_token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(give_each_subscriber_a_feed_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="feed_token",
            field=models.CharField(
                default=accounts.models.new_feed_token,
                editable=False,
                help_text="The secret in the reader's personal feed URL; resetting it retires the old URL.",
                max_length=64,
                unique=True,
            ),
        ),
    ]
