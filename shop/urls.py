from django.urls import path

from shop.api.payments import StripeWebhookView
from shop.views import cart, catalogue, checkout, orders, payments

app_name = "shop"

urlpatterns: list = [
    path("", catalogue.product_list, name="product_list"),
    path("products/<slug:slug>/", catalogue.product_detail_page, name="product_detail"),
    path("cart/", cart.cart_detail, name="cart"),
    path("cart/add/", cart.cart_add, name="cart_add"),
    path("cart/lines/<key:line_id>/", cart.cart_line_update, name="cart_line_update"),
    path("cart/lines/<key:line_id>/remove/", cart.cart_line_remove, name="cart_line_remove"),
    path("checkout/", checkout.checkout_address, name="checkout_address"),
    path("checkout/review/", checkout.checkout_review, name="checkout_review"),
    path("checkout/voucher/", checkout.checkout_voucher, name="checkout_voucher"),
    path("checkout/place/", checkout.checkout_place, name="checkout_place"),
    path("checkout/complete/<str:number>/", checkout.checkout_complete, name="checkout_complete"),
    path("checkout/pay/<str:number>/", payments.checkout_pay, name="checkout_pay"),
    path("checkout/pay/<str:number>/confirm/", payments.checkout_pay_confirm, name="checkout_pay_confirm"),
    path("checkout/pay/<str:number>/return/", payments.checkout_pay_return, name="checkout_pay_return"),
    path("payments/stripe/webhook/", StripeWebhookView.as_view(), name="stripe_webhook"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", orders.order_cancel, name="order_cancel"),
]
