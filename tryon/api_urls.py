from django.urls import path

from tryon import api

urlpatterns = [
    path("tryon/jobs/", api.JobListCreateView.as_view(), name="tryon-api-jobs"),
    path("tryon/pages/", api.PageCreateView.as_view(), name="tryon-api-pages"),
    path("tryon/jobs/<key:pk>/", api.JobDetailView.as_view(), name="tryon-api-job"),
    path("tryon/photos/", api.PhotoListCreateView.as_view(), name="tryon-api-photos"),
    path("tryon/photos/<key:pk>/", api.PhotoDetailView.as_view(), name="tryon-api-photo"),
]
