from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("permits/<str:number>/reviews/", views.permit_reviews_view, name="permit_reviews"),
    path(
        "permits/<str:number>/approved-plans/<int:document_id>/",
        views.approved_plan_view,
        name="approved_plan",
    ),
    path(
        "permits/<str:number>/reviews/upload/",
        views.issuance_upload_view,
        name="issuance_upload",
    ),
    path(
        "permits/<str:number>/corrections/",
        views.permit_corrections_view,
        name="permit_corrections",
    ),
    path(
        "permits/<str:number>/conditions/<int:condition_id>/answer/",
        views.condition_answer_view,
        name="condition_answer",
    ),
    path(
        "permits/<str:number>/corrections/upload/",
        views.correction_upload_view,
        name="correction_upload",
    ),
]
