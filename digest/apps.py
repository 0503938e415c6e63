from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "digest"
    verbose_name = "Papers and digests"

    def ready(self):
        from . import webhooks  # noqa: F401  (connects the anymail tracking receiver)
