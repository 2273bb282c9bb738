"""URLs of hello."""

from django.urls import path

from hello import views

urlpatterns = [
    path("", views.index, name="index"),
    path("whoami", views.whoami, name="whoami"),
    path("health", views.health, name="health"),
]
