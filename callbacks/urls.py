from django.urls import path

from callbacks import views

app_name = "callbacks"
urlpatterns = [
    path("suite/<str:suite_id>/", views.command_callback, name="command"),
    path("data/<str:suite_id>/", views.data_callback, name="data"),
    path("provider/<str:provider_corpid>/", views.system_callback, name="system"),
]
