"""The shop's URLs: sign up, upgrade, cancel."""

from __future__ import annotations

from accounts import views
from django.urls import path

urlpatterns = [
    path("signup/", views.signup),
    path("upgrade/<str:username>/", views.upgrade),
    path("cancel/<str:username>/", views.cancel),
]
