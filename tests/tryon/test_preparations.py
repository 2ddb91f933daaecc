"""Nothing computed twice: photo and garment sides kept and reused, finished pairs returned from the
cache, each shopper's own; single try-ons before page batches; page batches bounded per shopper."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product, t_shirt_png
from tests.tryon.helpers import ScriptedEngine
from tryon import preparations, services
from tryon.jobs import state, submit
from tryon.jobs.runner import run_queued_jobs
from tryon.models import GarmentPreparation, JobPriority, JobStatus, PhotoPreparation, TryOnJob
from tryon.pipeline.card_picture import card_picture
from tryon.pipeline.classic.engine import METHOD_VERSION, ClassicTryOnEngine
from tryon.pipeline.contract import ENGINE_CLASSIC, PreparedSide
from tryon.pipeline.imageio import load_rgb
from tryon.storage import read_private_file


class CountingClassicEngine(ClassicTryOnEngine):
    """The real weight-free engine, counting how often each side is prepared and pairs are dressed."""

    def __init__(self) -> None:
        super().__init__()
        self.photos = self.garments = self.pairs = 0

    def prepare_photo(self, person):
        self.photos += 1
        return super().prepare_photo(person)

    def prepare_garment(self, garment, *, garment_type="upper_body"):
        self.garments += 1
        return super().prepare_garment(garment, garment_type=garment_type)

    def dress(self, person, photo_side, garment_side, *, on_stage=None):
        self.pairs += 1
        return super().dress(person, photo_side, garment_side, on_stage=on_stage)


@pytest.fixture
def engine(settings) -> CountingClassicEngine:
    settings.TRYON_ENGINE = "classic"  # the identity the shop expects is the weight-free engine's
    return CountingClassicEngine()


def primary_image(product):
    return product.images.get(is_primary=True)


def run_all(engine) -> int:
    return run_queued_jobs(engine_factory=lambda: engine)


@pytest.mark.django_db
def test_the_photo_is_segmented_once_for_three_garments(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    products = [make_tryon_product() for _ in range(3)]

    for product in products:
        submit.submit_job(user=user, photo=photo, product_image=primary_image(product))
    assert run_all(engine) == 3

    assert (engine.photos, engine.garments, engine.pairs) == (1, 3, 3)
    assert list(TryOnJob.objects.values_list("status", flat=True)) == [JobStatus.DONE] * 3
    preparation = PhotoPreparation.objects.get(photo=photo)
    assert preparation.engine_identity == engine.identity and preparation.file_name


@pytest.mark.django_db
def test_a_worker_reads_the_photo_and_its_side_from_storage_once_for_a_page_of_garments(
    dispatched, engine, monkeypatch
):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    images = [primary_image(make_tryon_product()) for _ in range(3)]
    for image in images:
        preparations.garment_side(product_image=image, engine=engine)
    preparations.photo_side(photo=photo, engine=engine)
    preparations.side_cache.clear()  # as in a worker that started after they were prepared
    read = []
    real_read = preparations.store.read_private_file
    monkeypatch.setattr(preparations.store, "read_private_file", lambda name: read.append(name) or real_read(name))

    submit.submit_page(user=user, photo=photo, product_images=images)
    assert run_all(engine) == 3

    side_file = PhotoPreparation.objects.get(photo=photo).file_name
    assert read.count(photo.file_name) == read.count(side_file) == 1
    assert len(read) == 5  # and each garment side once
    assert (engine.photos, engine.garments, engine.pairs) == (1, 3, 3)


def test_the_side_cache_keeps_the_last_used_sides_within_its_size(settings):
    def side(megabytes: int) -> PreparedSide:
        return PreparedSide("photo", "classic/1", {"a": np.zeros(megabytes * 1024 * 1024, np.uint8)}, {})

    settings.TRYON_SIDE_CACHE_BYTES = 3 * 1024 * 1024
    cache = preparations.SideCache()
    first, second, third = side(1), side(1), side(1)
    cache.put("first", first)
    cache.put("second", second)
    assert cache.get("first") is first  # used: now the newest
    cache.put("third", third)
    cache.put("fourth", side(1))

    assert cache.get("second") is None and cache.get("first") is first and cache.get("third") is third
    cache.put("too-big", side(4))
    assert cache.get("too-big") is None and cache.get("first") is first
    cache.forget("first")
    assert cache.get("first") is None


@pytest.mark.django_db
def test_a_deleted_photo_and_its_side_leave_the_workers_memory(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    preparations.photo_side(photo=photo, engine=engine)
    cached = [photo.file_name, PhotoPreparation.objects.get(photo=photo).file_name]
    assert all(preparations.side_cache.get(name) is not None for name in cached)

    services.delete_person_photo(photo=photo)

    assert [name for name in cached if preparations.side_cache.get(name) is not None] == []


@pytest.mark.django_db
def test_asking_again_for_a_finished_pair_returns_its_result_at_once_computing_nothing(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    image = primary_image(make_tryon_product())
    first = submit.submit_job(user=user, photo=photo, product_image=image)
    run_all(engine)

    again = submit.submit_job(user=user, photo=photo, product_image=image)

    assert again.pk == first.pk and again.status == JobStatus.DONE
    assert dispatched == [first.pk]  # nothing new was queued
    assert run_all(engine) == 0 and engine.pairs == 1


@pytest.mark.django_db
def test_a_result_from_stored_sides_is_the_same_picture_as_a_fresh_run(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    first_image, second_image = primary_image(make_tryon_product()), primary_image(make_tryon_product())
    submit.submit_job(user=user, photo=photo, product_image=first_image)
    run_all(engine)  # stores the photo side
    second = submit.submit_job(user=user, photo=photo, product_image=second_image)
    run_all(engine)  # dresses from the stored photo side

    second.refresh_from_db()
    person = load_rgb(read_private_file(photo.file_name))
    with second_image.image.open("rb") as garment_file:
        fresh = ClassicTryOnEngine().run(person, load_rgb(garment_file.read()))
    assert engine.photos == 1
    assert read_private_file(second.result_name) == state._jpeg(fresh.image)
    assert read_private_file(second.result_small_name) == state._jpeg(card_picture(fresh.image, fresh.person_mask))


@pytest.mark.django_db
def test_a_replaced_product_image_gets_a_new_garment_side_and_no_stale_result(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    image = primary_image(make_tryon_product())
    first = submit.submit_job(user=user, photo=photo, product_image=image)
    run_all(engine)
    old = GarmentPreparation.objects.get(product_image=image)

    image.image = SimpleUploadedFile("red.png", t_shirt_png(colour=(200, 30, 30)), content_type="image/png")
    image.save()
    second = submit.submit_job(user=user, photo=photo, product_image=image)
    run_all(engine)

    new = GarmentPreparation.objects.get(product_image=image)
    assert second.pk != first.pk and engine.garments == 2
    assert new.image_name == image.image.name != old.image_name
    assert not storages["private"].exists(old.file_name) and not storages["private"].exists(old.mask_file_name)
    second.refresh_from_db()
    red = Image.open(io.BytesIO(read_private_file(second.result_name))).convert("RGB")
    assert red.getpixel((256, 400))[0] > 120  # the new red shirt is on the chest


class PreviousMethodEngine(CountingClassicEngine):
    """The weight-free engine under the METHOD_VERSION before this one: the sides it kept are stale."""

    identity = f"{ENGINE_CLASSIC}/{METHOD_VERSION - 1}"


@pytest.mark.django_db
def test_sides_kept_by_an_older_method_version_are_prepared_again_and_their_files_removed(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    image = primary_image(make_tryon_product())
    older = PreviousMethodEngine()
    preparations.photo_side(photo=photo, engine=older)
    preparations.garment_side(product_image=image, engine=older)
    old_files = [PhotoPreparation.objects.get().file_name, GarmentPreparation.objects.get().file_name]

    job = submit.submit_job(user=user, photo=photo, product_image=image)
    assert run_all(engine) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.DONE and (engine.photos, engine.garments, engine.pairs) == (1, 1, 1)
    assert list(PhotoPreparation.objects.values_list("engine_identity", flat=True)) == [engine.identity]
    assert list(GarmentPreparation.objects.values_list("engine_identity", flat=True)) == [engine.identity]
    assert [name for name in old_files if storages["private"].exists(name)] == []


@pytest.mark.django_db
def test_deleting_a_photo_deletes_its_analysis_and_results(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    job = submit.submit_job(user=user, photo=photo, product_image=primary_image(make_tryon_product()))
    run_all(engine)
    job.refresh_from_db()
    preparation = PhotoPreparation.objects.get(photo=photo)
    files = [preparation.file_name, job.result_name, job.result_small_name, photo.file_name]

    services.delete_person_photo(photo=photo)

    assert not PhotoPreparation.objects.exists() and not TryOnJob.objects.exists()
    assert [name for name in files if storages["private"].exists(name)] == []
    assert GarmentPreparation.objects.count() == 1  # the product's side is not the shopper's data


@pytest.mark.django_db
def test_another_shopper_never_gets_someone_elses_cached_result(dispatched, engine):
    owner, other = make_user(), make_user()
    image = primary_image(make_tryon_product())
    owners_photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    owners_job = submit.submit_job(user=owner, photo=owners_photo, product_image=image)
    run_all(engine)

    others_photo = services.save_person_photo(user=other, upload=astronaut_upload())  # the very same picture
    others_job = submit.submit_job(user=other, photo=others_photo, product_image=image)

    assert others_photo.pk != owners_photo.pk
    assert others_job.pk != owners_job.pk and others_job.status == JobStatus.QUEUED
    assert others_job.owner == other
    run_all(engine)
    assert engine.photos == 2  # the other shopper's photo side is their own as well


@pytest.mark.django_db
def test_a_result_made_by_other_weights_is_not_returned_from_the_cache(dispatched, engine):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    image = primary_image(make_tryon_product())
    first = submit.submit_job(user=user, photo=photo, product_image=image)
    run_all(engine)
    TryOnJob.objects.filter(pk=first.pk).update(engine_identity="classic/0")

    again = submit.submit_job(user=user, photo=photo, product_image=image)

    assert again.pk != first.pk and again.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_a_single_try_on_is_run_before_a_page_batch_queued_earlier(dispatched):
    shopper, other = make_user(), make_user()
    page_photo = services.save_person_photo(user=shopper, upload=astronaut_upload())
    page = submit.submit_page(
        user=shopper, photo=page_photo, product_images=[primary_image(make_tryon_product()) for _ in range(3)]
    ).jobs
    single_photo = services.save_person_photo(user=other, upload=astronaut_upload(mirrored=True))
    single = submit.submit_job(user=other, photo=single_photo, product_image=primary_image(make_tryon_product()))
    order: list[object] = []

    class RecordingEngine(ScriptedEngine):
        def dress(self, person, photo_side, garment_side, *, on_stage=None):
            order.append(TryOnJob.objects.get(status=JobStatus.RUNNING).pk)
            return super().dress(person, photo_side, garment_side, on_stage=on_stage)

    recording = RecordingEngine()
    run_queued_jobs(preferred_job_id=page[0].pk, engine_factory=lambda: recording)

    assert order == [single.pk] + [job.pk for job in page]
    assert {job.priority for job in TryOnJob.objects.filter(pk__in=[job.pk for job in page])} == {JobPriority.PAGE}


@pytest.mark.django_db
def test_a_page_batch_past_the_shoppers_bound_queues_nothing_and_says_why(dispatched, settings):
    settings.TRYON_PAGE_LIVE_LIMIT = 4
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    images = [primary_image(make_tryon_product()) for _ in range(5)]
    submit.submit_page(user=user, photo=photo, product_images=images[:3])

    with pytest.raises(submit.TryOnBusyError, match="At most 4 garments"):
        submit.submit_page(user=user, photo=photo, product_images=images[3:])

    assert TryOnJob.objects.count() == 3
    # the same page again is not new work: its live jobs come back
    assert [job.pk for job in submit.submit_page(user=user, photo=photo, product_images=images[:3]).jobs] == [
        job.pk for job in TryOnJob.objects.order_by("created_at", "id")
    ]


@pytest.mark.django_db
def test_page_try_ons_do_not_use_up_the_shoppers_single_try_on_rate(dispatched, settings):
    settings.TRYON_RATE_LIMIT_PER_MINUTE = 2
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    submit.submit_page(user=user, photo=photo, product_images=[primary_image(make_tryon_product()) for _ in range(3)])

    single = submit.submit_job(user=user, photo=photo, product_image=primary_image(make_tryon_product()))

    assert single.priority == JobPriority.SINGLE and single.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_a_photo_saved_is_prepared_by_the_background_worker_when_asked(
    settings, engine, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TRYON_PREPARE_IN_BACKGROUND = True
    requested: list[tuple[str, object]] = []
    monkeypatch.setattr("tryon.jobs.dispatch.dispatch_preparation", lambda kind, pk: requested.append((kind, pk)))
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    with django_capture_on_commit_callbacks(execute=True):  # product images are prepared once saved for good
        product = make_tryon_product()

    assert requested == [("photo", photo.pk), ("garment", primary_image(product).pk)]
    preparations.prepare_photo_in_background(photo_id=photo.pk, engine=engine)
    preparations.prepare_garment_in_background(product_image_id=primary_image(product).pk, engine=engine)
    assert PhotoPreparation.objects.filter(photo=photo).exists()
    assert GarmentPreparation.objects.get(product_image=primary_image(product)).mask_area > 0.2


@pytest.mark.django_db
def test_a_job_reports_the_preparation_stages_only_for_the_sides_it_computes(dispatched, engine, monkeypatch):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    first, second = primary_image(make_tryon_product()), primary_image(make_tryon_product())
    preparations.garment_side(product_image=second, engine=engine)
    recorded = []
    real_record = state.record_stage
    monkeypatch.setattr(state, "record_stage", lambda **kw: recorded.append(kw["stage"]) or real_record(**kw))

    submit.submit_job(user=user, photo=photo, product_image=first)
    run_all(engine)  # computes both sides
    computed, recorded[:] = list(recorded), []
    submit.submit_job(user=user, photo=photo, product_image=second)
    run_all(engine)  # both sides kept

    assert computed == ["segmenting", "masking", "warping", "rendering", "compositing"]
    assert recorded == ["warping", "rendering", "compositing"]


@pytest.mark.django_db
def test_the_progress_of_each_stage_comes_from_the_engines_own_shares(dispatched, engine, monkeypatch):
    """The bar moves by the engine's stage shares whether a side is prepared in the job or in `dress`."""
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    reported = {}
    real_record = state.record_stage

    def record(**kwargs):
        reported.setdefault(kwargs["stage"], kwargs["progress"])
        return real_record(**kwargs)

    monkeypatch.setattr(state, "record_stage", record)

    submit.submit_job(user=user, photo=photo, product_image=primary_image(make_tryon_product()))
    run_all(engine)

    shares = engine.stage_shares
    assert reported["segmenting"] == 0.0
    assert reported["masking"] == pytest.approx(shares["segmenting"])
    assert reported["warping"] == pytest.approx(shares["segmenting"] + shares["masking"])


@pytest.mark.django_db
def test_gallery_pictures_are_never_prepared_only_the_picture_try_on_uses(
    settings, engine, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """seed_demo's close-ups and backdrops have no garment outline; preparing them only logged "has no
    usable garment" for pictures no try-on ever uses."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from revetir.testing.tryon_data import t_shirt_png
    from shop.models import ProductImage

    settings.TRYON_PREPARE_IN_BACKGROUND = True
    requested: list[tuple[str, object]] = []
    monkeypatch.setattr("tryon.jobs.dispatch.dispatch_preparation", lambda kind, pk: requested.append((kind, pk)))
    product = make_tryon_product()
    with django_capture_on_commit_callbacks(execute=True):
        close_up = ProductImage.objects.create(
            product=product,
            image=SimpleUploadedFile("close-up.png", t_shirt_png(), content_type="image/png"),
            alt_text="A close-up of the fabric",
            position=1,
        )

    preparations.prepare_garment_in_background(product_image_id=close_up.pk, engine=engine)

    assert requested == []
    assert not GarmentPreparation.objects.filter(product_image=close_up).exists()
    assert "has no usable garment" not in caplog.text
