"""The in-process host: one background thread per web process that runs try-on jobs (the default
when no Redis is configured), started on the first submit or with the server.

It registers with `tryon.jobs.dispatch` when the app starts (only where REVETIR_TRYON_WORKER is the
thread), so dispatch imports no worker. A process that started it stops it before it exits
(`stop_in_process_worker`, also run at interpreter exit): an engine still running native code while
the interpreter tears down aborts the process.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from contextlib import suppress

from django.conf import settings
from django.db import close_old_connections, connection

from tryon import selectors
from tryon.jobs.messages import remember_server_loop
from tryon.jobs.runner import PREPARE_GARMENT, EngineFactory, run_preparation, run_queued_jobs, warm_up

logger = logging.getLogger(__name__)

# How often the idle in-process worker looks for stale jobs and orphaned queued jobs.
IDLE_CHECK_SECONDS = 5.0
# At most this many product images are queued for preparation when a worker starts.
CATCH_UP_LIMIT = 500
# At exit, how long the worker may take to finish the warm-up or work in hand (loading the neural
# engine on a busy CPU takes tens of seconds).
EXIT_WAIT_SECONDS = 300.0


class InProcessWorker:
    """One background thread per process that runs jobs one at a time, and prepares newly saved
    photos and product images when no job is queued.

    The queue only carries wake-ups; the database says which job is next, so a wake-up lost in a
    restart is made up for by the idle check, which also sweeps stale jobs on a timer.
    """

    def __init__(self, *, engine_factory: EngineFactory | None = None) -> None:
        self._wakeups: queue.Queue[object | None] = queue.Queue(maxsize=max(settings.TRYON_MAX_QUEUED_JOBS, 1) * 2)
        self._preparations: queue.Queue[tuple[str, object]] = queue.Queue()
        self._engine_factory = engine_factory
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def wake(self, job_id: object) -> None:
        self.ensure_started()
        # A full queue means the worker is busy draining; it reaches this job from the database.
        with suppress(queue.Full):
            self._wakeups.put_nowait(job_id)

    def prepare(self, kind: str, object_id: object) -> None:
        """Queue a preparation (`PREPARE_PHOTO` or `PREPARE_GARMENT`) behind every queued job."""
        self._preparations.put((kind, object_id))
        self.wake(None)

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            remember_server_loop()
            self._stopping.clear()
            self._thread = threading.Thread(target=self._serve, name="tryon-worker", daemon=True)
            self._thread.start()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        with suppress(queue.Full):
            self._wakeups.put_nowait(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _warm_up(self) -> None:
        """Load the engine, then queue the product images its garment side is missing for."""
        try:
            engine = warm_up(self._engine_factory)
            if engine is not None and settings.TRYON_PREPARE_IN_BACKGROUND:
                missing = selectors.product_images_without_garment_side(
                    engine_identity=engine.identity, limit=CATCH_UP_LIMIT
                )
                for image_id in missing:
                    self._preparations.put((PREPARE_GARMENT, image_id))
        except Exception:
            logger.exception("Try-on worker warm-up failed; jobs load the engine themselves")
        finally:
            connection.close()

    def _serve(self) -> None:
        logger.info("In-process try-on worker started")
        if settings.TRYON_WARM_UP:
            self._warm_up()
        while not self._stopping.is_set():
            try:
                job_id = self._wakeups.get(timeout=0 if not self._preparations.empty() else IDLE_CHECK_SECONDS)
            except queue.Empty:
                job_id = None
            if self._stopping.is_set():
                break
            try:
                close_old_connections()
                run_queued_jobs(preferred_job_id=job_id, engine_factory=self._engine_factory)
                with suppress(queue.Empty):  # one preparation, then look for jobs again
                    run_preparation(*self._preparations.get_nowait(), engine_factory=self._engine_factory)
            except Exception:
                logger.exception("In-process try-on worker loop error; continuing")
            finally:
                connection.close()


_in_process_worker: InProcessWorker | None = None
_in_process_lock = threading.Lock()


def in_process_worker() -> InProcessWorker:
    global _in_process_worker
    with _in_process_lock:
        if _in_process_worker is None:
            _in_process_worker = InProcessWorker()
        return _in_process_worker


def stop_in_process_worker() -> None:
    """Stop the in-process worker if this process started one: it finishes the warm-up, job or
    preparation in hand (queued preparations are left to the next start's catch-up) and its thread
    ends. Run at interpreter exit, so every command and server that started it (`seed_demo` saving
    product images, Daphne) exits 0: a thread still in the engine's native code while the
    interpreter tears down aborts the process ("terminate called without an active exception")."""
    with _in_process_lock:
        host = _in_process_worker
    if host is None:
        return
    host.stop(timeout=EXIT_WAIT_SECONDS)
    if host.is_running():
        logger.warning("The in-process try-on worker did not stop within %s s of exit", EXIT_WAIT_SECONDS)


atexit.register(stop_in_process_worker)
