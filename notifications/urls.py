from django.urls import path

from . import delivery_views, preference_views, unsubscribe_views, views
from .sms import views as sms_views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notifications_read, name="read"),
    # Signed out, from an email's links (a signed token).
    path("unsubscribe/<str:token>/", unsubscribe_views.unsubscribe_view, name="unsubscribe"),
    path("preferences/<str:token>/", unsubscribe_views.email_choices_view, name="email_choices"),
    path("phone/", sms_views.phone_page, name="phone"),
    path("sms/status/", sms_views.sms_status, name="sms_status"),
    path("sms/inbound/", sms_views.sms_inbound, name="sms_inbound"),
    path("email-again/", delivery_views.email_again, name="email_again"),
    path("<int:notice_id>/open/", views.notification_open, name="open"),
    path("preferences/", preference_views.preferences, name="preferences"),
    path(
        "businesses/<int:contractor_id>/",
        preference_views.business_defaults,
        name="business_defaults",
    ),
]
