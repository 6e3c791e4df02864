from django.urls import path

from . import (  # noqa: F401 (converters: <permit_number:>)
    collection_views,
    contact_views,
    converters,
    document_views,
    views,
)

app_name = "permits"

urlpatterns = [
    path("search/", views.permit_search_view, name="search"),
    path("search/permits.csv", views.permit_search_csv_view, name="search_csv"),
    path("my-records/", views.my_records_view, name="my_records"),
    path("my-records/permits.csv", views.my_records_csv_view, name="my_records_csv"),
    path("collections/", collection_views.collections_view, name="collections"),
    path("collections/new/", collection_views.collection_create_view, name="collection_create"),
    path("collections/add/", collection_views.collection_add_view, name="collection_add"),
    path("collections/<int:collection_id>/", collection_views.collection_view, name="collection"),
    path(
        "collections/<int:collection_id>/permits/",
        collection_views.collection_items_view,
        name="collection_items",
    ),
    path(
        "collections/<int:collection_id>/permits.csv",
        collection_views.collection_csv_view,
        name="collection_csv",
    ),
    path(
        "collections/<int:collection_id>/rename/",
        collection_views.collection_rename_view,
        name="collection_rename",
    ),
    path(
        "collections/<int:collection_id>/delete/",
        collection_views.collection_delete_view,
        name="collection_delete",
    ),
    path(
        "contacts/invitations/<str:token>/",
        contact_views.contact_invitation_view,
        name="contact_invitation",
    ),
    # Before the permit's own page: "verify" would read as a permit number.
    path("verify/", views.permit_verify_code_view, name="verify_code"),
    path("verify/<str:code>/", views.permit_verify_view, name="verify"),
    path("<permit_number:number>/", views.permit_detail_view, name="detail"),
    path("<permit_number:number>/card/", views.permit_card_view, name="card"),
    path(
        "<permit_number:number>/card/rev-<int:revision>/",
        views.permit_card_view,
        name="card_revision",
    ),
    path("<permit_number:number>/contacts/", contact_views.contact_add_view, name="contact_add"),
    path(
        "<permit_number:number>/contacts/<int:contact_id>/remove/",
        contact_views.contact_remove_view,
        name="contact_remove",
    ),
    path(
        "<permit_number:number>/documents/",
        document_views.document_upload_view,
        name="document_upload",
    ),
    path(
        "<permit_number:number>/documents/<int:document_id>/",
        document_views.document_download_view,
        name="document_download",
    ),
]
