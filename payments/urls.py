from django.urls import path

import permits.converters  # noqa: F401 (registers <permit_number:>)

from . import views

app_name = "payments"

urlpatterns = [
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/<permit_number:number>/", views.cart_add, name="cart_add"),
    path("cart/add-all/", views.cart_add_all_view, name="cart_add_all"),
    path("checkout/", views.checkout, name="checkout"),
    path("<int:payment_id>/return/", views.payment_return, name="return"),
    path("<int:payment_id>/offline/", views.offline_gateway, name="offline"),
    path("receipts/<str:receipt_number>/", views.receipt, name="receipt"),
    path("paid/", views.paid_items, name="paid_items"),
    path("trust/<int:contractor_id>/", views.trust_account, name="trust"),
    path("trust/<int:contractor_id>/deposit/", views.trust_deposit, name="trust_deposit"),
    path("trust/<int:contractor_id>/history.csv", views.trust_account_csv, name="trust_csv"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
