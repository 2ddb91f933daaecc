from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TryonConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tryon"
    verbose_name = "Virtual try-on"

    def ready(self) -> None:
        from django.conf import settings

        from accounts.services import account_deleting
        from shop.catalogue_cache import invalidate_catalogue
        from shop.models import ProductImage
        from tryon import checks, receivers  # noqa: F401 (checks registers the body model check)
        from tryon.models import GarmentPreparation, PersonPhoto, PhotoPreparation, TryOnJob

        account_deleting.connect(receivers.delete_tryon_data_of_deleted_account, dispatch_uid="tryon-account-deleting")
        post_delete.connect(
            receivers.delete_files_of_deleted_photo, sender=PersonPhoto, dispatch_uid="tryon-photo-files"
        )
        for change, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(
                receivers.forget_saved_photos, sender=PersonPhoto, dispatch_uid=f"tryon-saved-photos-{change}"
            )
        post_delete.connect(receivers.delete_files_of_deleted_job, sender=TryOnJob, dispatch_uid="tryon-job-files")
        post_delete.connect(
            receivers.delete_files_of_deleted_photo_preparation,
            sender=PhotoPreparation,
            dispatch_uid="tryon-photo-preparation-files",
        )
        post_delete.connect(
            receivers.delete_files_of_deleted_garment_preparation,
            sender=GarmentPreparation,
            dispatch_uid="tryon-garment-preparation-files",
        )
        # Whether a garment is offered for try-on is cached with the product page (tryon_tags.tryon_panel).
        for change, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(
                invalidate_catalogue, sender=GarmentPreparation, dispatch_uid=f"tryon-garment-check-{change}"
            )
        if settings.TRYON_WORKER == "thread":
            # The in-process host registers with dispatch, which imports no worker; a scaled-out web
            # process (Celery workers do the try-ons) never loads the worker and engine code.
            from tryon.jobs import dispatch, hosts

            dispatch.register_in_process_host(hosts.in_process_worker)
        from shop import tryon_hooks
        from tryon import garment_check, selectors

        tryon_hooks.register(
            finished_job_id=selectors.finished_job_id,
            finished_jobs_per_product=selectors.finished_jobs_per_product,
            garment_check=garment_check.garment_check,
        )
        post_save.connect(
            receivers.prepare_saved_product_image, sender=ProductImage, dispatch_uid="tryon-prepare-product-image"
        )
