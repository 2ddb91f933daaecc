from django.apps import AppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        import revetir.static_files  # noqa: F401  (registers the static manifest's deploy check)
        from shop import checks  # noqa: F401  (registers the card payment checks)
        from shop.catalogue_cache import connect_invalidation
        from shop.signals import merge_cart_on_login

        user_logged_in.connect(merge_cart_on_login, dispatch_uid="shop.merge_cart_on_login")
        connect_invalidation()
