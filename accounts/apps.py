from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts.models import User

        post_save.connect(forget_values_of_new_user, sender=User, dispatch_uid="accounts.new-user-shopper-values")


def forget_values_of_new_user(sender: type, *, instance, created: bool, **kwargs: object) -> None:
    """A new account never sees values kept for an earlier account with the same id (revetir.shopper_cache)."""
    if created:
        from revetir.shopper_cache import forget_shopper_values

        forget_shopper_values(instance.pk)
