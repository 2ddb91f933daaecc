from django.urls import path

from accounts.api import AuthTokenView, BodyProfileView
from accounts.api_addresses import AddressDetailView, AddressListView

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-auth-token"),
    path("account/measurements/", BodyProfileView.as_view(), name="api-account-measurements"),
    path("addresses/", AddressListView.as_view(), name="api-address-list"),
    path("addresses/<key:address_id>/", AddressDetailView.as_view(), name="api-address-detail"),
]
