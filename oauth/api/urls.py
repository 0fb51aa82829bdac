from django.urls import path

from oauth.api import views

app_name = "api"
urlpatterns = [
    path("auth/sso/", views.SSOExchange.as_view(), name="sso"),
    path("me/", views.MeView.as_view(), name="me"),
    path("corp/", views.CorpView.as_view(), name="corp"),
    path("corp/members/", views.MemberList.as_view(), name="members"),
    path("corp/members/<str:open_userid>/", views.MemberDetail.as_view(), name="member"),
    path("jssdk/config/", views.JssdkConfig.as_view(), name="jssdk-config"),
]
