from django.urls import path

from tryon import views

app_name = "tryon"

urlpatterns = [
    path("jobs/", views.job_create, name="job_create"),
    path("jobs/<key:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<key:pk>/delete/", views.job_delete, name="job_delete"),
    path("jobs/<key:pk>/result/", views.job_result, name="job_result"),
    path("jobs/<key:pk>/result/small/", views.job_result_small, name="job_result_small"),
    path("wear/", views.wear_toggle, name="wear_toggle"),
    path("photos/", views.photo_list, name="photo_list"),
    path("photos/<key:pk>/delete/", views.photo_delete, name="photo_delete"),
    path("photos/<key:pk>/image/", views.photo_image, name="photo_image"),
]
