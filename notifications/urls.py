from django.urls import path

from . import delivery_views, unsubscribe_views, views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notifications_read, name="read"),
    # Signed out, from an email's links (a signed token).
    path("unsubscribe/<str:token>/", unsubscribe_views.unsubscribe_view, name="unsubscribe"),
    path("preferences/<str:token>/", unsubscribe_views.email_choices_view, name="email_choices"),
    path("email-again/", delivery_views.email_again, name="email_again"),
]
