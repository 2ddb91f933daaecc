from django.apps import AppConfig
from django.db.models.signals import post_delete


class TryonConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tryon"
    verbose_name = "Virtual try-on"

    def ready(self) -> None:
        from accounts.services import account_deleting
        from tryon import checks, receivers  # noqa: F401 (checks registers the body model check)
        from tryon.models import PersonPhoto, TryOnJob

        account_deleting.connect(receivers.delete_tryon_data_of_deleted_account, dispatch_uid="tryon-account-deleting")
        post_delete.connect(
            receivers.delete_files_of_deleted_photo, sender=PersonPhoto, dispatch_uid="tryon-photo-files"
        )
        post_delete.connect(receivers.delete_files_of_deleted_job, sender=TryOnJob, dispatch_uid="tryon-job-files")
