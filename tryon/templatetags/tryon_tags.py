"""The "Try it on" panel, dropped into the product page with `{% tryon_panel product %}`."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject

from revetir.shopper_cache import shopper_value
from shop.catalogue_cache import VERSION_CONTEXT_NAME, cached_value
from shop.models import Product, ProductImage
from tryon import selectors
from tryon.forms import TryOnForm
from tryon.models import PersonPhoto
from tryon.pipeline.contract import GARMENT_TYPES
from tryon.views import WEAR_SESSION_KEY
from tryon.wording import ENGINE_CLASSIC, ENGINE_FASHN, ENGINE_NEURAL, engine_note, photo_can_try_summary

register = template.Library()

# Where `shopper_photos` keeps the photos it read for the rest of the request.
SHOPPER_PHOTOS_ATTRIBUTE = "_tryon_shopper_photos"

# Where the panel would be, for a garment whose picture failed the staff check.
GARMENT_NOT_OFFERED_MESSAGE = (
    "Try-on is not available for this garment yet: the shop's picture of it does not show its outline "
    "clearly enough to fit it on a photo. The shop is replacing the picture."
)


@register.inclusion_tag("tryon/includes/panel.html", takes_context=True)
def tryon_panel(context: template.Context, product: Product) -> dict:
    """Log-in prompt for visitors; for a signed-in shopper the photo form and the live progress area; for
    everyone, a plain note instead when the garment is not offered (its picture failed the staff check)."""
    request = context["request"]
    user = request.user
    panel = {
        "product": product,
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "size_advice": context.get("size_advice"),
        VERSION_CONTEXT_NAME: context.get(VERSION_CONTEXT_NAME),
    }
    if not product.supports_tryon:
        return panel
    panel["garment"] = garment = selectors.garment_image_for(product=product)
    if garment is not None and not _garment_offered(garment, version=context.get(VERSION_CONTEXT_NAME)):
        panel["not_offered"] = GARMENT_NOT_OFFERED_MESSAGE
        return panel
    if not user.is_authenticated:
        return panel
    photos = shopper_photos(request)
    # Built only when the template renders it: most of the panel comes rendered from the cache.
    panel["form"] = SimpleLazyObject(
        lambda: TryOnForm(user=user, garment_type=product.garment_type, initial={"product": product.pk}, photos=photos)
    )
    panel["has_photos"] = bool(photos)
    sized = getattr(product, "sized_variants", None)
    panel["variants"] = sized if sized is not None else selectors.sizes_for_product(product=product)
    return panel


def shopper_photos(request: HttpRequest) -> list[PersonPhoto]:
    """The signed-in shopper's saved photos, newest first and labelled, read once per request: the
    try-on panel, its form and "See it on me" on the same page all show them. Kept on the request,
    and between pages in the shopper's own cache (revetir.shopper_cache), never in a shared one."""
    photos = getattr(request, SHOPPER_PHOTOS_ATTRIBUTE, None)
    if photos is None:
        user = request.user
        photos = shopper_value(
            user_id=user.pk, name="saved_photos", compute=lambda: selectors.labelled_photos_for_user(user=user)
        )
        setattr(request, SHOPPER_PHOTOS_ATTRIBUTE, photos)
    return photos


def _garment_offered(garment: ProductImage, *, version: str | None) -> bool:
    """The staff check's verdict on the garment's picture: the same for every visitor, so it is kept
    with the product page in the catalogue cache (a garment preparation saved or deleted replaces
    the catalogue version: tryon.apps)."""
    return cached_value(
        name="garment_offered",
        key=str(garment.pk),
        compute=lambda: selectors.garment_offered(product_image=garment),
        version=version,
    )


@register.inclusion_tag("tryon/includes/wear_panel.html", takes_context=True)
def wear_panel(context: template.Context, *, heading: str = "", garment_types: list[str] | None = None) -> dict:
    """ "See it on me": for a signed-in shopper, the switch that shows the garment cards around it on
    a photo of theirs (chosen from their saved photos, remembered in the session) and the progress
    line; nothing for visitors. Without a choice the photo that can try the most of `garment_types`
    (the page's garments; every type when the page does not say) is offered first."""
    request = context["request"]
    user = request.user
    panel = {"request": request, "csrf_token": context.get("csrf_token"), "heading": heading, "user": user}
    if not user.is_authenticated:
        return panel
    chosen = request.session.get(WEAR_SESSION_KEY)
    photos, panel["photo"] = selectors.wear_photo_choices(
        user=user, photo_id=chosen, garment_types=garment_types or GARMENT_TYPES, photos=shopper_photos(request)
    )
    for photo in photos:
        usable = [kind for kind in GARMENT_TYPES if photo.verdict_for(kind).usable]
        photo.can_try = photo_can_try_summary(usable)
    panel["photos"] = photos
    panel["wearing"] = chosen is not None and panel["photo"] is not None
    panel["page_limit"] = settings.TRYON_PAGE_LIVE_LIMIT
    return panel


@register.inclusion_tag("tryon/includes/more_to_wear.html", takes_context=True)
def more_to_wear(context: template.Context, product: Product) -> dict:
    """Other garments of the product's category as cards, which "See it on me" shows on the shopper's
    photo like the catalogue; nothing when the category holds no other garment to try on. The cards
    are the same for every visitor, so they come rendered from the catalogue cache."""
    cards, garment_types = cached_value(
        name="more_to_wear_cards",
        key=str(product.pk),
        compute=lambda: _other_garment_cards(product),
        version=context.get(VERSION_CONTEXT_NAME),
    )
    return {**context.flatten(), "cards": cards, "category": product.category, "garment_types": garment_types}


def _other_garment_cards(product: Product) -> tuple[str, list[str]]:
    """The cards of the category's other garments and their garment types (empty when there are none)."""
    others = selectors.other_garments_in_category(product=product, limit=settings.TRYON_PAGE_LIVE_LIMIT)
    if not others:
        return "", []
    cards = render_to_string("tryon/includes/more_to_wear_cards.html", {"others": others})
    return cards, [other.garment_type for other in others]


@register.filter(name="engine_note")
def engine_note_filter(engine: str) -> str:
    """`{{ job.engine|engine_note }}`: the shopper's note for a result made by that engine."""
    return engine_note(engine)


@register.simple_tag
def engine_note_attributes() -> dict:
    """The notes for each engine, for tryon.js to show under results that arrive over the websocket."""
    return {engine: engine_note(engine) for engine in (ENGINE_CLASSIC, ENGINE_NEURAL, ENGINE_FASHN)}
