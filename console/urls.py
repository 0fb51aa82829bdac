from django.urls import path

from console import (
    api,
    credentials_api,
    id_api,
    license_api,
    messages_api,
    relay_api,
    webhooks_api,
)

app_name = "staff-api"
urlpatterns = [
    path("suites/", api.SuiteList.as_view(), name="suites"),
    path("corps/", api.CorpList.as_view(), name="corps"),
    path("register-codes/", api.RegisterCodeCreate.as_view(), name="register-codes"),
    path("corps/<str:corpid>/license/", license_api.LicenseSummary.as_view(), name="license"),
    path(
        "corps/<str:corpid>/license/codes/",
        license_api.LicenseCodes.as_view(),
        name="license-codes",
    ),
    path(
        "corps/<str:corpid>/license/activate/",
        license_api.LicenseActivate.as_view(),
        name="license-activate",
    ),
    path(
        "corps/<str:corpid>/license/transfer/",
        license_api.LicenseTransfer.as_view(),
        name="license-transfer",
    ),
    path("corps/<str:corpid>/id-convert/", id_api.IdConvert.as_view(), name="id-convert"),
    path("license-orders/", license_api.LicenseOrders.as_view(), name="license-orders"),
    *(
        path(
            f"corps/<str:ident>/{name}/",
            credentials_api.CredentialView.as_view(kind=kind),
            name=f"corp-{name}",
        )
        for name, kind in (
            ("access-token", credentials_api.Kind.CORP),
            ("jsapi-ticket", credentials_api.Kind.JSAPI),
            ("agent-ticket", credentials_api.Kind.AGENT_CONFIG),
        )
    ),
    path(
        "corps/<str:ident>/access-token/invalidate/",
        credentials_api.TokenInvalidate.as_view(kind=credentials_api.Kind.CORP),
        name="corp-access-token-invalidate",
    ),
    path(
        "suites/<str:ident>/access-token/",
        credentials_api.CredentialView.as_view(kind=credentials_api.Kind.SUITE),
        name="suite-access-token",
    ),
    path(
        "suites/<str:ident>/access-token/invalidate/",
        credentials_api.TokenInvalidate.as_view(kind=credentials_api.Kind.SUITE),
        name="suite-access-token-invalidate",
    ),
    path("corps/<str:ident>/wecom/<path:path>", relay_api.Relay.as_view(), name="relay"),
    path("corps/<str:ident>/messages/", messages_api.Messages.as_view(), name="messages"),
    path(
        "corps/<str:ident>/messages/update-template-card/",
        messages_api.TemplateCardUpdate.as_view(),
        name="template-card-update",
    ),
    path(
        "corps/<str:ident>/messages/<str:msgid>/recall/",
        messages_api.Recall.as_view(),
        name="message-recall",
    ),
    path("corps/<str:ident>/media/", messages_api.MediaUpload.as_view(), name="media"),
    path("webhooks/", webhooks_api.EndpointList.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", webhooks_api.EndpointDetail.as_view(), name="webhook"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        webhooks_api.SecretRotate.as_view(),
        name="webhook-rotate-secret",
    ),
]
