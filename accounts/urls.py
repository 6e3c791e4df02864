from django.urls import path

from . import business_views, enrolment_views, language_views, views

app_name = "accounts"

urlpatterns = [
    path("register/", views.registration_disclaimer, name="register"),
    path("register/licenses/", views.registration_licenses, name="register_licenses"),
    path("register/account/", views.RegistrationAccountView.as_view(), name="register_account"),
    path("signed-out/", views.signed_out_idle, name="signed_out_idle"),
    path("language/", language_views.language_choose, name="language"),
    path(
        "staff/authenticator/<str:token>/",
        enrolment_views.authenticator_link,
        name="authenticator_link",
    ),
    path("account/", views.manage, name="manage"),
    path("account/contact/", views.profile_edit, name="profile"),
    path("account/security-question/", views.security_question, name="security_question"),
    path("account/licenses/add/", views.license_add, name="license_add"),
    path("account/licenses/<int:link_id>/remove/", views.license_remove, name="license_remove"),
    path("businesses/associate/", business_views.business_associate, name="business_associate"),
    path("businesses/<int:contractor_id>/", business_views.business_detail, name="business"),
    path(
        "businesses/<int:contractor_id>/pin/",
        business_views.business_pin_regenerate,
        name="business_pin_regenerate",
    ),
    path(
        "businesses/<int:contractor_id>/members/<int:membership_id>/roles/",
        business_views.membership_update,
        name="membership_roles",
    ),
    path(
        "businesses/<int:contractor_id>/members/<int:membership_id>/remove/",
        business_views.membership_delete,
        name="membership_remove",
    ),
]
