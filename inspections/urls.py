from django.urls import path

import permits.converters  # noqa: F401 (registers <permit_number:>)

from . import stop_views, views

app_name = "inspections"

urlpatterns = [
    path("request/<permit_number:number>/", views.request_type, name="request"),
    path("request/<permit_number:number>/date/", views.request_date, name="request_date"),
    path("request/<permit_number:number>/contact/", views.request_contact, name="request_contact"),
    path("request/<permit_number:number>/notes/", views.request_notes, name="request_notes"),
    path("<int:inspection_id>/", views.inspection_detail, name="detail"),
    path("<int:inspection_id>/cancel/", views.inspection_cancel_view, name="cancel"),
    path("my-stops/", stop_views.my_stops, name="my_stops"),
    path("my-stops/<int:inspection_id>/", stop_views.stop_detail, name="stop"),
    path("my-stops/<int:inspection_id>/reinspect/", stop_views.stop_reinspect, name="reinspect"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
