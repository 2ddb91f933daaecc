from django.apps import AppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        import revetir.static_files  # noqa: F401  (registers the static manifest's deploy check)
        from shop import checks  # noqa: F401  (registers the card payment checks)
        from shop.catalogue_cache import connect_invalidation
        from shop.models import Cart, CartLine
        from shop.signals import forget_cart_badge, merge_cart_on_login

        user_logged_in.connect(merge_cart_on_login, dispatch_uid="shop.merge_cart_on_login")
        for model in (Cart, CartLine):
            for change, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(
                    forget_cart_badge, sender=model, dispatch_uid=f"shop.cart-badge-{model.__name__}-{change}"
                )
        connect_invalidation()
