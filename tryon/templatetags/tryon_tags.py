"""The "Try it on" panel, dropped into the product page with `{% tryon_panel product %}`."""

from __future__ import annotations

from django import template

from shop.models import Product
from tryon import selectors
from tryon.forms import TryOnForm
from tryon.wording import ENGINE_CLASSIC, ENGINE_NEURAL, engine_note

register = template.Library()


@register.inclusion_tag("tryon/includes/panel.html", takes_context=True)
def tryon_panel(context: template.Context, product: Product) -> dict:
    """Log-in prompt for visitors; for a signed-in shopper the photo form and the live progress area."""
    request = context["request"]
    user = request.user
    panel = {
        "product": product,
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "size_advice": context.get("size_advice"),
    }
    if not user.is_authenticated or not product.supports_tryon:
        return panel
    panel["garment"] = selectors.garment_image_for(product=product)
    panel["form"] = TryOnForm(user=user, garment_type=product.garment_type, initial={"product": product.pk})
    panel["has_photos"] = selectors.photos_for_user(user=user).exists()
    sized = getattr(product, "sized_variants", None)
    panel["variants"] = sized if sized is not None else selectors.sizes_for_product(product=product)
    return panel


@register.filter(name="engine_note")
def engine_note_filter(engine: str) -> str:
    """`{{ job.engine|engine_note }}`: the shopper's note for a result made by that engine."""
    return engine_note(engine)


@register.simple_tag
def engine_note_attributes() -> dict:
    """The notes for each engine, for tryon.js to show under results that arrive over the websocket."""
    return {"classic": engine_note(ENGINE_CLASSIC), "neural": engine_note(ENGINE_NEURAL)}
