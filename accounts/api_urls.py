from django.urls import path

from accounts.api import AuthTokenView

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-auth-token"),
]
