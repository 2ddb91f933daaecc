"""Catalogue pages: the filtered product list and the product page. Reads only, open to everyone."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from shop.catalogue_cache import VERSION_CONTEXT_NAME, cached_fragment, cached_value, catalogue_version
from shop.forms import ProductFilterForm
from shop.models import Category
from shop.selectors import category_tree, product_detail, product_page, size_advice_for


@require_safe
def product_list(request: HttpRequest) -> HttpResponse:
    """Products matching the GET filters. An invalid filter gets its error next to its field and is
    left out; the valid ones still apply, so one typo does not throw the shopper's other choices away.

    The catalogue part is the same for everyone, so it comes from a short-lived cache
    (shop.catalogue_cache); the page around it (header, cart badge, messages) is rendered afresh."""
    catalogue = cached_fragment(name="product_list", query=request.GET, render=lambda: _render_catalogue(request.GET))
    return render(request, "shop/product_list.html", {"catalogue": catalogue})


def _render_catalogue(query: QueryDict) -> dict[str, str]:
    """Title and body of the product list for these GET parameters, as HTML-safe strings."""
    categories = category_tree()
    form = ProductFilterForm(query or None, categories=categories)
    filters: dict = {}
    if form.is_bound:
        form.is_valid()  # after validation, cleaned_data holds exactly the valid fields
        filters = form.cleaned_data
    page = product_page(filters=filters, page_number=query.get("page"), page_size=settings.SHOP_PAGE_SIZE)
    # Pagination links keep the filters: every GET parameter except the page itself.
    query_without_page = query.copy()
    query_without_page.pop("page", None)
    selected_category = filters.get("category")
    title = _catalogue_title(search=filters.get("q"), category=selected_category)
    context = {
        "heading": title or "All products",
        "form": form,
        "page": page,
        "products": page.object_list,
        "categories": categories,
        "selected_category": selected_category,
        "filter_query": query_without_page.urlencode(),
        "has_filters": bool(filters and any(value for key, value in filters.items() if key != "sort")),
        "SHOP_CURRENCY": settings.SHOP_CURRENCY,
    }
    return {"title": title or "Shop", "body": render_to_string("shop/includes/catalogue_body.html", context)}


def _catalogue_title(*, search: str | None, category: Category | None) -> str | None:
    """What the page shows, for its title and heading (None for the whole catalogue): a search says
    what was searched for, so a results page is not titled like the home page (WCAG 2.4.2)."""
    if search:
        return f"Search results for “{search}”" + (f" in {category.name}" if category else "")
    return category.name if category else None


@require_safe
def product_detail_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The product with its gallery, size chart, sizes, try-on panel and the category's other garments.

    The product (with its images, sizes and chart) and the parts of the page that are the same for
    every visitor come from the catalogue cache (shop.catalogue_cache, `{% shared_fragment %}`);
    the size advice, the forms and everything else of the shopper are rendered per request."""
    version = catalogue_version()  # one catalogue state for the product and every cached part
    product = cached_value(name="product_detail", key=slug, compute=lambda: product_detail(slug=slug), version=version)
    if product is None:
        raise Http404("No such product.")
    context = {
        VERSION_CONTEXT_NAME: version,
        "product": product,
        "max_quantity": settings.SHOP_MAX_LINE_QUANTITY,
        "size_advice": size_advice_for(user=request.user, product=product),
    }
    return render(request, "shop/product_detail.html", context)
