"""Fixtures for the try-on app tests (photos, jobs, dispatch)."""

from __future__ import annotations

import pytest

from tryon.jobs import dispatch


@pytest.fixture
def dispatched(monkeypatch) -> list[int]:
    """Record dispatched job ids instead of waking a worker, so a test decides when jobs run."""
    job_ids: list[int] = []
    monkeypatch.setattr(dispatch, "dispatch_job", job_ids.append)
    return job_ids
