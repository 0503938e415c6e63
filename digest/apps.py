from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "digest"
    verbose_name = "Papers and digests"

    def ready(self):
        # Connects the anymail tracking receiver.
        from . import webhooks  # noqa: F401
