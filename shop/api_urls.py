from django.urls import path

from shop.api import cart, catalogue, orders

urlpatterns: list = [
    path("categories/", catalogue.CategoryListView.as_view(), name="api-category-list"),
    path("products/", catalogue.ProductListView.as_view(), name="api-product-list"),
    path("products/<slug:slug>/", catalogue.ProductDetailView.as_view(), name="api-product-detail"),
    path("cart/", cart.CartView.as_view(), name="api-cart"),
    path("cart/items/", cart.CartItemsView.as_view(), name="api-cart-items"),
    path("cart/items/<key:line_id>/", cart.CartItemView.as_view(), name="api-cart-item"),
    path("shipping-methods/", orders.ShippingMethodListView.as_view(), name="api-shipping-method-list"),
    path("vouchers/check/", orders.VoucherCheckView.as_view(), name="api-voucher-check"),
    path("orders/", orders.OrderListCreateView.as_view(), name="api-order-list"),
    path("orders/<str:number>/", orders.OrderDetailView.as_view(), name="api-order-detail"),
    path("orders/<str:number>/cancel/", orders.OrderCancelView.as_view(), name="api-order-cancel"),
]
