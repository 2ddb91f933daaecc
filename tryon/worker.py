"""Running try-on jobs: claim, run the engine stage by stage, store the result, tell the browser.

Two ways to host it, same code path (`run_claimed_job`):
- the in-process worker: one background thread and queue per web process, started on the first
  submit, one job at a time, sweeping stale jobs while idle (the default, no Redis needed);
- Celery workers (`celery -A revetir worker -Q tryon`, see `tryon.tasks`): any number of
  processes on any machines sharing the database, broker, channel layer and media; each message
  runs `run_job`, which claims the next queued job by priority or does nothing.

Every state change goes through `tryon.jobs`. The engine is loaded once per process, when the
worker starts (`warm_up`), not on the first shopper's job. A job loads the photo and garment sides
`tryon.preparations` keeps and runs only the pair; preparing a newly saved photo or product image
comes after every queued job. A failing engine fails its job with a message for the shopper; the
worker carries on with the next job.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection

from tryon import jobs, preparations, selectors
from tryon.events import publish_job, remember_server_loop
from tryon.models import TryOnJob
from tryon.pipeline.body.models import MODELS_SUBDIR, BodyModelMissingError, load_all_models
from tryon.pipeline.contract import PREPARATION_PROGRESS, Engine, TryOnError
from tryon.pipeline.select import engine_for_garment

logger = logging.getLogger(__name__)

OUT_OF_MEMORY_MESSAGE = "The try-on server ran out of memory; please try again in a minute."
UNEXPECTED_ERROR_MESSAGE = "Something went wrong while fitting the garment; please try again."
# How often the idle in-process worker looks for stale jobs and orphaned queued jobs.
IDLE_CHECK_SECONDS = 5.0
# At most this many product images are queued for preparation when a worker starts.
CATCH_UP_LIMIT = 500


EngineFactory = Callable[[], Engine]

_engine: Engine | None = None
_engine_lock = threading.Lock()


def load_engine() -> Engine:
    """The engine chosen by settings (REVETIR_TRYON_ENGINE, REVETIR_WEIGHTS_DIR, REVETIR_TRYON_DEVICE),
    loaded once per process."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from tryon.pipeline.select import select_engine

            _engine = select_engine(
                name=settings.TRYON_ENGINE, weights_dir=settings.TRYON_WEIGHTS_DIR, device=settings.TRYON_DEVICE
            )
            logger.info("Try-on engine loaded: %s", _engine.name)
        return _engine


class JobAbandonedError(Exception):
    """The job was deleted or failed as stale while it ran; its result is not wanted."""


def warm_up(engine_factory: EngineFactory | None = None) -> Engine | None:
    """Load the engine now (networks built, weights laid out) and the body model (which checks each
    upload and frames each photo), so neither the first job nor the first upload pays for it. A
    missing or damaged file is logged; jobs and uploads then fail with its message as before."""
    try:
        load_all_models(Path(settings.TRYON_WEIGHTS_DIR) / MODELS_SUBDIR)
    except BodyModelMissingError as exc:
        logger.warning("Body model not loaded at start: %s", exc)
    try:
        engine = (engine_factory or load_engine)()
    except TryOnError as exc:
        logger.warning("Try-on engine not loaded at start: %s", exc)
        return None
    logger.info("Try-on worker warmed up: %s", engine.identity)
    return engine


PREPARE_PHOTO = "photo"
PREPARE_GARMENT = "garment"


def run_preparation(kind: str, object_id: object, *, engine_factory: EngineFactory | None = None) -> None:
    """Prepare a newly saved photo (`PREPARE_PHOTO`) or product image (`PREPARE_GARMENT`); a failure is
    logged and costs nothing but the time: the first job on it prepares it again."""
    try:
        engine = (engine_factory or load_engine)()
        if kind == PREPARE_PHOTO:
            preparations.prepare_photo_in_background(photo_id=object_id, engine=engine)
        else:
            preparations.prepare_garment_in_background(product_image_id=object_id, engine=engine)
    except Exception:
        logger.exception("Preparing %s %s failed", kind, object_id)


def run_queued_jobs(*, preferred_job_id: object | None = None, engine_factory: EngineFactory | None = None) -> int:
    """Sweep stale jobs, then run queued jobs one after another until none is left (the
    in-process worker, the only worker of its shop: jobs a sweep queues again are its own to run).
    Returns how many this call ran. `engine_factory` defaults to `load_engine`."""
    worker = jobs.worker_name()
    ran = 0
    jobs.sweep_stale_jobs()
    while (job := jobs.claim_next_job(worker=worker, preferred_job_id=preferred_job_id)) is not None:
        preferred_job_id = None
        run_claimed_job(job, engine_factory=engine_factory)
        ran += 1
    return ran


def run_job(*, job_id: object, engine_factory: EngineFactory | None = None) -> bool:
    """Run one queued job for a Celery message naming `job_id`: the next job by priority (single
    try-ons before page batches, oldest first), which is the named one unless others wait before it.
    A message is thus a turn in the queue: the broker's order does not matter, and a single try-on
    submitted behind a page batch's messages runs next. False when no job is queued any more (the
    message was a duplicate or a redelivery); each run starts with a claim, so nothing runs twice."""
    job = jobs.claim_next_job(worker=jobs.worker_name())
    if job is None:
        logger.info("Try-on message for job %s found no queued job; message dropped", job_id)
        return False
    run_claimed_job(job, engine_factory=engine_factory)
    return True


def run_claimed_job(job: TryOnJob, *, engine_factory: EngineFactory | None = None) -> None:
    """Run a job this process has claimed. Never raises for engine failures: they fail the job."""
    engine_factory = engine_factory or load_engine
    worker = job.worker
    started = time.monotonic()
    publish_job(job)
    engine_name = ""
    try:
        with _heartbeat(job.pk, worker):
            garment_type = job.product_image.product.garment_type
            engine = engine_for_garment(engine_factory(), garment_type)
            engine_name = engine.name
            person = preparations.photo_pixels(job.photo)

            def on_stage(stage: str, fraction: float) -> None:
                if fraction >= 1.0:
                    return  # the engine's last report: the done message that follows says it
                if not jobs.record_stage(job_id=job.pk, stage=stage, progress=fraction, worker=worker):
                    raise JobAbandonedError
                job.status, job.stage, job.progress, job.engine = "running", stage, fraction, engine_name
                publish_job(job)

            # The preparation stages are reported only when a side is computed in this job, not kept.
            photo_side = preparations.photo_side(
                photo=job.photo,
                engine=engine,
                person=person,
                before_preparing=lambda: on_stage("segmenting", PREPARATION_PROGRESS["segmenting"]),
            )
            garment_image_name = job.product_image.image.name
            garment_side = preparations.garment_side(
                product_image=job.product_image,
                engine=engine,
                garment_type=garment_type,
                before_preparing=lambda: on_stage("masking", PREPARATION_PROGRESS["masking"]),
            )
            result = engine.dress(person, photo_side, garment_side, on_stage=on_stage)
        timings = {**result.timings, "total": round(time.monotonic() - started, 3)}
        outcome = jobs.JobOutcome(
            image=result.image,
            image_small=result.image_small,
            engine=result.engine,
            timings=timings,
            engine_identity=engine.identity,
            garment_image_name=garment_image_name,
        )
        if jobs.complete_job(job_id=job.pk, worker=worker, outcome=outcome) is None:
            logger.info("Try-on job %s finished after it was deleted or failed; result discarded", job.pk)
    except JobAbandonedError:
        logger.info("Try-on job %s was deleted or failed while running; stopped", job.pk)
    except TryOnError as exc:
        _fail(job, str(exc), engine_name, started)
    except MemoryError:
        _fail(job, OUT_OF_MEMORY_MESSAGE, engine_name, started)
    except Exception as exc:
        if _is_out_of_memory(exc):
            _fail(job, OUT_OF_MEMORY_MESSAGE, engine_name, started)
        else:
            logger.exception("Try-on job %s failed unexpectedly", job.pk)
            _fail(job, UNEXPECTED_ERROR_MESSAGE, engine_name, started)


def _fail(job: TryOnJob, message: str, engine_name: str, started: float) -> None:
    logger.info("Try-on job %s failed: %s", job.pk, message)
    jobs.fail_job(
        job_id=job.pk,
        worker=job.worker,
        message=message,
        engine=engine_name,
        timings={"total": round(time.monotonic() - started, 3)},
    )


def _is_out_of_memory(exc: Exception) -> bool:
    return "out of memory" in str(exc).lower()


@contextmanager
def _heartbeat(job_id: object, worker: str) -> Iterator[None]:
    """Keep the job's heartbeat fresh from a side thread while the engine holds this one."""
    stop = threading.Event()

    def beat_until_stopped() -> None:
        try:
            while not stop.wait(settings.TRYON_HEARTBEAT_SECONDS):
                jobs.beat(job_id=job_id, worker=worker)
        except Exception:
            logger.exception("Heartbeat of try-on job %s stopped", job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=beat_until_stopped, name=f"tryon-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=settings.TRYON_HEARTBEAT_SECONDS + 5)


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
