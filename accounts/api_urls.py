from django.urls import path

from accounts.api import AuthTokenView, BodyProfileView

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-auth-token"),
    path("account/measurements/", BodyProfileView.as_view(), name="api-account-measurements"),
]
