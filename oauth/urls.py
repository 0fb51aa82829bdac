from django.urls import path

from oauth import views

app_name = "oauth"
urlpatterns = [
    path("install/<str:suite_id>/", views.install_start, name="install"),
    path("install/<str:suite_id>/done/", views.install_done, name="install-done"),
    path("login/<str:suite_id>/", views.login_start, name="login"),
    path("callback/<str:suite_id>/", views.login_callback, name="login-callback"),
    path("provider-login/", views.provider_login, name="provider-login"),
    path("me/", views.signed_in, name="signed-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
]
