from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.enrolment_views import activate_totp
from accounts.views import registration_signup_redirect
from notifications.tracking import tracking_webhook_urls

from . import views
from .javascript_catalogue import javascript_catalogue

# A database down or restarting gets a 503 "try again" page, never a 500 (views.server_error).
handler500 = "portal.views.server_error"

admin.site.site_header = f"{settings.CITY_NAME} Permit Portal: staff"
admin.site.site_title = "Permit Portal staff"
admin.site.index_title = "Building department"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "jsi18n/<str:language>/<str:version>.js",
        javascript_catalogue,
        name="javascript_catalogue",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("permits/", include("permits.urls")),
    path("inspections/", include("inspections.urls")),
    path("payments/", include("payments.urls")),
    path("notifications/", include("notifications.urls")),
    # The email service's delivery news (django-anymail's tracking webhooks, signature checked):
    # /anymail/<EMAIL_PROVIDER>/tracking/.
    path("anymail/", include((tracking_webhook_urls(), "anymail"))),
    path("", include("applications.urls")),
    path("", include("reviews.urls")),
    # Registration starts with the terms, not allauth's bare sign-up page.
    path("accounts/signup/", registration_signup_redirect, name="account_signup"),
    # allauth's set-up page, refused to staff who did not come through their one-time link.
    path("accounts/2fa/totp/activate/", activate_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
