"""Revetir project package. The Celery app is loaded with Django so that `tryon.jobs.dispatch` and
`celery -A revetir` see the same configuration."""

from revetir.celery import app as celery_app

__all__ = ["celery_app"]
