"""Catalogue pages: the filtered product list and the product page. Reads only, open to everyone."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from shop.forms import ProductFilterForm
from shop.selectors import category_tree, product_detail, product_page


@require_safe
def product_list(request: HttpRequest) -> HttpResponse:
    """Products matching the GET filters. An invalid filter gets its error next to its field and is
    left out; the valid ones still apply, so one typo does not throw the shopper's other choices away."""
    categories = category_tree()
    form = ProductFilterForm(request.GET or None, categories=categories)
    filters: dict = {}
    if form.is_bound:
        form.is_valid()  # after validation, cleaned_data holds exactly the valid fields
        filters = form.cleaned_data
    page = product_page(filters=filters, page_number=request.GET.get("page"), page_size=settings.SHOP_PAGE_SIZE)
    # Pagination links keep the filters: every GET parameter except the page itself.
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    selected_category = filters.get("category")
    context = {
        "form": form,
        "page": page,
        "products": page.object_list,
        "categories": categories,
        "selected_category": selected_category,
        "filter_query": query_without_page.urlencode(),
        "has_filters": bool(filters and any(value for key, value in filters.items() if key != "sort")),
    }
    return render(request, "shop/product_list.html", context)


@require_safe
def product_detail_page(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_detail(slug=slug)
    if product is None:
        raise Http404("No such product.")
    context = {"product": product, "max_quantity": settings.SHOP_MAX_LINE_QUANTITY}
    return render(request, "shop/product_detail.html", context)
