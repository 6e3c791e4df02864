from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = f"{settings.CITY_NAME} Permit Portal: staff"
admin.site.site_title = "Permit Portal staff"
admin.site.index_title = "Building department"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("permits/", include("permits.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
