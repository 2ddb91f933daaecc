"""Static files: one storage whatever DEBUG says, and a deploy check for the manifest.

The storage is WhiteNoise's compressed manifest storage (hashed, far-future-cached names) in every
mode, so `collectstatic` always writes the manifest: a shop collected once with DEBUG on and then
run with DEBUG off serves the same files. With DEBUG on Django links the unhashed names and
WhiteNoise finds them in the source folders, so development needs no `collectstatic`.

Should a page still ask for a file the manifest lacks (no `collectstatic` since the deploy, or
none at all), the page links the unhashed name and the error is logged once per file, instead of
every page answering 500 ("Missing staticfiles manifest entry"). `manage.py check --deploy` fails
with `revetir.E001` while the manifest is missing, so a deployment notices before it serves.
WhiteNoise itself asks the storage about names that need not exist (to tell hashed files, cached
forever, from the rest, it strips what looks like a hash from every collected file's name); those
questions get the manifest's plain answer and log nothing (`StaticFilesMiddleware`).
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

MANIFEST_MISSING_ID = "revetir.E001"
# True while WhiteNoise, not a page, asks for a name: a missing one is an answer, not an error.
_whitenoise_asking: ContextVar[bool] = ContextVar("whitenoise_asking", default=False)


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage that links an unhashed name, with one logged error, for a file
    the manifest lacks rather than failing the page."""

    _reported: set[str] = set()
    _reported_lock = threading.Lock()

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError as exc:
            if _whitenoise_asking.get():
                raise
            with self._reported_lock:
                first_time = name not in self._reported
                self._reported.add(name)
            if first_time:
                logger.error(
                    "Static file %r linked unhashed: %s. Run `python manage.py collectstatic --noinput` "
                    "with this release's settings.",
                    name,
                    exc,
                )
            return name


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, whose own look-ups of names it made up (a hash stripped from every collected
    file's name, at start-up) raise as Django's manifest storage would, instead of being logged as
    pages linking files the manifest lacks (about twenty false errors at every start)."""

    def get_static_url(self, name: str) -> str | None:
        token = _whitenoise_asking.set(True)
        try:
            return super().get_static_url(name)
        finally:
            _whitenoise_asking.reset(token)


@register(Tags.staticfiles, deploy=True)
def check_static_manifest(app_configs: object = None, **kwargs: object) -> list[Error]:
    """Under `check --deploy`: the manifest `collectstatic` writes must be in STATIC_ROOT."""
    manifest = Path(settings.STATIC_ROOT) / ManifestStaticFilesStorage.manifest_name
    if manifest.is_file():
        return []
    return [
        Error(
            f"No static files manifest at {manifest}: pages would link unhashed static files that may not be there.",
            hint="Run `python manage.py collectstatic --noinput` with the production settings before "
            "starting the server (README, Deploying).",
            id=MANIFEST_MISSING_ID,
        )
    ]
