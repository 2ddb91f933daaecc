from django.apps import AppConfig


class TryonConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tryon"
    verbose_name = "Virtual try-on"

    def ready(self) -> None:
        from accounts.services import account_deleting
        from tryon.receivers import delete_tryon_data_of_deleted_account

        account_deleting.connect(delete_tryon_data_of_deleted_account, dispatch_uid="tryon-account-deleting")
