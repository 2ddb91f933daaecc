"""Running a claimed try-on job with an engine: stages, heartbeat, result, and the shopper's message
when the engine fails.

Two hosts run it, same code path (`run_claimed_job`):
- the in-process worker (`tryon.jobs.hosts`): one background thread per web process, one job at a
  time, sweeping stale jobs while idle (the default, no Redis needed);
- Celery workers (`celery -A revetir worker -Q tryon`, see `tryon.tasks`): any number of
  processes on any machines sharing the database, broker, channel layer and media; each message
  runs `run_next_queued_job`, which claims the next queued job by priority or does nothing.

Every state change, and the message that tells the browser, goes through `tryon.jobs.state`. The
engine is loaded once per process, when the worker starts (`warm_up`), not on the first shopper's
job. A job loads the photo and garment sides `tryon.preparations` keeps and runs only the pair;
preparing a newly saved photo or product image comes after every queued job. A failing engine fails
its job with a message for the shopper; the worker carries on with the next job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from tryon import preparations
from tryon.engine_choice import FASHN_ON_CPU_WARNING, fashn_options
from tryon.jobs import state
from tryon.models import TryOnJob
from tryon.pipeline.body.models import MODELS_SUBDIR, BodyModelMissingError, load_all_models
from tryon.pipeline.card_picture import card_picture
from tryon.pipeline.contract import ENGINE_FASHN, Engine, TryOnError, progress_before
from tryon.pipeline.select import engine_for_garment

logger = logging.getLogger(__name__)

OUT_OF_MEMORY_MESSAGE = "The try-on server ran out of memory; please try again in a minute."
UNEXPECTED_ERROR_MESSAGE = "Something went wrong while fitting the garment; please try again."


EngineFactory = Callable[[], Engine]

_engine: Engine | None = None
_engine_lock = threading.Lock()


def load_engine() -> Engine:
    """The engine chosen by settings (REVETIR_TRYON_ENGINE, REVETIR_WEIGHTS_DIR, REVETIR_TRYON_DEVICE,
    the REVETIR_FASHN_* options), loaded once per process. "auto" asks PyTorch whether this process
    has a GPU: a worker without one never runs FASHN and says so in its log."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from tryon.pipeline.select import ENGINE_AUTO, auto_choice, gpu_present, select_engine

            if settings.TRYON_ENGINE == ENGINE_AUTO:
                choice = auto_choice(weights_dir=settings.TRYON_WEIGHTS_DIR, device=settings.TRYON_DEVICE)
                logger.info("Try-on engine auto: %s %s", choice.name, choice.reason)
            elif settings.TRYON_ENGINE == ENGINE_FASHN and not gpu_present(settings.TRYON_DEVICE):
                logger.warning(FASHN_ON_CPU_WARNING)
            _engine = select_engine(
                name=settings.TRYON_ENGINE,
                weights_dir=settings.TRYON_WEIGHTS_DIR,
                device=settings.TRYON_DEVICE,
                fashn_options=fashn_options(),
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
    worker = state.worker_name()
    ran = 0
    state.sweep_stale_jobs(redispatch=False)
    while (job := state.claim_next_job(worker=worker, preferred_job_id=preferred_job_id)) is not None:
        preferred_job_id = None
        run_claimed_job(job, engine_factory=engine_factory)
        ran += 1
    return ran


def run_next_queued_job(*, job_id: object, engine_factory: EngineFactory | None = None) -> bool:
    """Run one queued job for a Celery message naming `job_id`: the next job by priority (single
    try-ons before page batches, oldest first), which is the named one unless others wait before it.
    A message is thus a turn in the queue: the broker's order does not matter, and a single try-on
    submitted behind a page batch's messages runs next. False when no job is queued any more (the
    message was a duplicate or a redelivery); each run starts with a claim, so nothing runs twice."""
    job = state.claim_next_job(worker=state.worker_name())
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
                if not state.reach_stage(job=job, stage=stage, progress=fraction, engine=engine_name):
                    raise JobAbandonedError

            # The preparation stages are reported only when a side is computed in this job, not kept.
            photo_side = preparations.photo_side(
                photo=job.photo,
                engine=engine,
                person=person,
                before_preparing=lambda: on_stage("segmenting", progress_before(engine.stage_shares, "segmenting")),
            )
            garment_image_name = job.product_image.image.name
            garment_side = preparations.garment_side(
                product_image=job.product_image,
                engine=engine,
                garment_type=garment_type,
                before_preparing=lambda: on_stage("masking", progress_before(engine.stage_shares, "masking")),
            )
            result = engine.dress(person, photo_side, garment_side, on_stage=on_stage)
        timings = {**result.timings, "total": round(time.monotonic() - started, 3)}
        outcome = state.JobOutcome(
            image=result.image,
            image_small=card_picture(result.image, result.person_mask),
            engine=result.engine,
            timings=timings,
            engine_identity=engine.identity,
            garment_image_name=garment_image_name,
        )
        if state.complete_job(job_id=job.pk, worker=worker, outcome=outcome) is None:
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
    state.fail_job(
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
                state.beat(job_id=job_id, worker=worker)
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
