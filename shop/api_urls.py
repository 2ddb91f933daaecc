from django.urls import path

from shop.api import catalogue

urlpatterns: list = [
    path("categories/", catalogue.CategoryListView.as_view(), name="api-category-list"),
    path("products/", catalogue.ProductListView.as_view(), name="api-product-list"),
    path("products/<slug:slug>/", catalogue.ProductDetailView.as_view(), name="api-product-detail"),
]
