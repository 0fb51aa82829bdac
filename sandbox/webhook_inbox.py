"""The sandbox as the ISV's webhook receiver: an inbox that verifies each message with the
``standardwebhooks`` package (an implementation that is not the portal's), records it, and can
play an outage (answer 503 to the next N deliveries)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

PATH = "/sandbox/webhooks/"


@dataclass
class Inbox:
    secret: str = ""  # the endpoint's whsec_…, handed over by the demo (or a test)
    outage: int = 0  # deliveries still to refuse with 503


def receive(sandbox: Sandbox, request: Request) -> Response:
    if request.method == "GET":  # a person following the endpoint's link from the console
        with sandbox.lock:
            about = {
                "inbox": "POST Standard Webhooks messages here",
                "received": len(sandbox.webhooks),
            }
        return Response(json.dumps(about), mimetype="application/json")
    body = request.get_data()
    headers = {name.lower(): value for name, value in request.headers.items()}
    entry: dict[str, Any] = {"webhook_id": headers.get("webhook-id", ""), "type": None}
    with sandbox.lock:
        refuse = sandbox.inbox.outage > 0
        sandbox.inbox.outage -= int(refuse)
        secret = sandbox.inbox.secret
    if refuse:
        entry.update(status=503, verified=None)
    elif not secret:
        entry.update(status=400, verified=False, error="no secret configured")
    else:
        try:
            payload = Webhook(secret).verify(body, headers)
        except WebhookVerificationError as error:
            entry.update(status=400, verified=False, error=str(error))
        else:
            entry.update(status=204, verified=True, type=payload.get("type"),
                         corpid=payload.get("corpid"), payload=payload)  # fmt: skip
    sandbox.record(sandbox.webhooks, entry)
    if entry["status"] == 204:
        return Response(status=204)
    message = {"error": entry.get("error", "outage")}
    return Response(json.dumps(message), status=entry["status"], mimetype="application/json")
