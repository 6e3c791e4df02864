from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    path("search/", views.permit_search_view, name="search"),
    path("search/permits.csv", views.permit_search_csv_view, name="search_csv"),
    path("<str:number>/", views.permit_detail_view, name="detail"),
]
