#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading a setting loads them all
    except ImproperlyConfigured as error:
        # A refused setting (an unsafe one in production, a number that cannot work) is
        # named in one line, not a page of traceback.
        sys.exit(f"Configuration error: {error}")
    execute_from_command_line(sys.argv)
