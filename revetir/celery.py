"""The Celery app of try-on workers at scale: `celery -A revetir worker -Q tryon`.

Configured from Django settings (the `CELERY_` names in `revetir.settings`, read from the
environment there); tasks live in each app's `tasks.py`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revetir.settings")

app = Celery("revetir")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
