from django.urls import path

from . import step_views, views

app_name = "applications"

urlpatterns = [
    path("apply/", views.guide_view, name="guide"),
    path("apply/<slug:code>/", views.type_view, name="type"),
    path("apply/<slug:code>/start/", views.start_view, name="start"),
    path("applications/", views.my_applications_view, name="mine"),
    path("applications/addresses/", views.addresses_view, name="addresses"),
    path("applications/<str:reference>/", views.detail_view, name="detail"),
    path("applications/<str:reference>/submit/", views.submit_view, name="submit"),
    path("applications/<str:reference>/withdraw/", views.withdraw_view, name="withdraw"),
    path("applications/<str:reference>/delete/", views.delete_view, name="delete"),
    path("applications/<str:reference>/copy/", views.copy_view, name="copy"),
    path(
        "applications/<str:reference>/documents/upload/",
        views.document_upload_view,
        name="document_upload",
    ),
    path(
        "applications/<str:reference>/documents/<int:document_id>/",
        views.document_download_view,
        name="document_download",
    ),
    path(
        "applications/<str:reference>/documents/<int:document_id>/delete/",
        views.document_delete_view,
        name="document_delete",
    ),
    path("applications/<str:reference>/<slug:step>/", step_views.step_view, name="step"),
]
