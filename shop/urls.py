from django.urls import path

from shop.views import catalogue

app_name = "shop"

urlpatterns: list = [
    path("", catalogue.product_list, name="product_list"),
    path("products/<slug:slug>/", catalogue.product_detail_page, name="product_detail"),
]
