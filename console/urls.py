from django.urls import path

from console import api

app_name = "staff-api"
urlpatterns = [
    path("suites/", api.SuiteList.as_view(), name="suites"),
    path("corps/", api.CorpList.as_view(), name="corps"),
    path("register-codes/", api.RegisterCodeCreate.as_view(), name="register-codes"),
]
