from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "digest"
    verbose_name = "Papers and digests"

    def ready(self):
        # Registers the system checks; connects the anymail tracking receiver.
        from . import checks, webhooks  # noqa: F401
