"""From an HTTP request to an authenticated event, or a refusal with its reason.

The order matters: size, parameters and timestamp are checked before anything is parsed; the
signature is checked before anything is decrypted; the receiveid before anything is trusted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _

from corps.fields import SecretDecryptionError
from corps.models import AuthorizedCorp, Provider, Suite
from wecom.crypto import (
    CallbackCipher,
    CallbackCryptoError,
    InvalidEncodingAESKey,
    ReceiveIdMismatch,
    SignatureMismatch,
)
from wecom.events import AppEvent, ContactEvent, Event, SuiteEvent, SystemEvent, parse_event
from wecom.sanity import event_problem, parse_timestamp, plausible_id
from wecom.xml import Envelope, MalformedXML, decode_document


class Rejected(Exception):
    """A callback refused, with the HTTP status to answer and the reason to log and show."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class CallbackURL:
    """What one callback URL needs to authenticate what arrives at it."""

    receiver: str
    cipher: CallbackCipher
    url_receive_ids: frozenset[str]  # accepted on GET (URL verification)
    accepts: Callable[[str], bool]  # whether a POST's receiveid is allowed here
    suite: Suite | None = None
    provider: Provider | None = None

    def takes(self, event: Event) -> bool:
        """Whether this URL is where WeCom sends events of this type (unknown types: anywhere)."""
        return isinstance(event, EXPECTED[self.receiver]) or not isinstance(event, KNOWN_FAMILIES)


# Where WeCom sends each family of events (API.md §4.1). 代开发 apps get change_contact on the
# data URL, in the self-built format.
EXPECTED: dict[str, tuple[type[Event], ...]] = {
    "command": (SuiteEvent,),
    "data": (AppEvent, ContactEvent),
    "system": (SystemEvent,),
}
KNOWN_FAMILIES = (SuiteEvent, AppEvent, SystemEvent)


@dataclass(frozen=True)
class Received:
    envelope: str
    xml: str
    event: Event
    dedupe_key: str


def _cipher(token: str, encoding_aes_key: str) -> CallbackCipher:
    try:
        return CallbackCipher(token, encoding_aes_key)
    except InvalidEncodingAESKey:
        raise Rejected(503, _("This receiver's EncodingAESKey is not configured.")) from None


# Resolved receivers, per process: (expiry, CallbackURL). Saving a suite or provider clears it.
_resolved: dict[tuple[str, str], tuple[float, CallbackURL]] = {}
RESOLVED_TTL = 30.0


@receiver([post_save, post_delete], sender=Suite)
@receiver([post_save, post_delete], sender=Provider)
def forget_resolved(**kwargs: object) -> None:
    _resolved.clear()


def _cached(kind: str, key: str, build: Callable[[], CallbackURL]) -> CallbackURL:
    now = time.monotonic()
    hit = _resolved.get((kind, key))
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        url = build()
    except SecretDecryptionError:
        # The operator removed a key too early: not WeCom's fault, so 503 and it retries.
        raise Rejected(503, _("This receiver's secrets cannot be decrypted.")) from None
    _resolved[(kind, key)] = (now + RESOLVED_TTL, url)
    return url


def _suite(suite_id: str) -> Suite:
    """The suite with just what the cipher needs: no other secret is decrypted per request."""
    if not plausible_id(suite_id):
        raise Rejected(404, _("Unknown suite."))
    suite = (
        Suite.objects.select_related("provider")
        .only("suite_id", "token", "encoding_aes_key", "provider__corpid")
        .filter(suite_id=suite_id)
        .first()
    )
    if suite is None:
        raise Rejected(404, _("Unknown suite %(suite)s.") % {"suite": suite_id})
    return suite


def command_url(suite_id: str) -> CallbackURL:
    return _cached("command", suite_id, lambda: _command_url(_suite(suite_id)))


def data_url(suite_id: str) -> CallbackURL:
    return _cached("data", suite_id, lambda: _data_url(_suite(suite_id)))


def system_url(provider_corpid: str) -> CallbackURL:
    return _cached("system", provider_corpid, lambda: _system_url(provider_corpid))


def _command_url(suite: Suite) -> CallbackURL:
    return CallbackURL(
        receiver="command",
        cipher=_cipher(suite.token, suite.encoding_aes_key),
        url_receive_ids=frozenset({suite.suite_id, suite.provider.corpid}),
        accepts=lambda receive_id: receive_id == suite.suite_id,
        suite=suite,
        provider=suite.provider,
    )


def _data_url(suite: Suite) -> CallbackURL:
    def accepts(receive_id: str) -> bool:
        return AuthorizedCorp.objects.filter(suite=suite, corpid=receive_id).exists()

    return CallbackURL(
        receiver="data",
        cipher=_cipher(suite.token, suite.encoding_aes_key),
        url_receive_ids=frozenset({suite.provider.corpid}),
        accepts=accepts,
        suite=suite,
        provider=suite.provider,
    )


def _system_url(provider_corpid: str) -> CallbackURL:
    if not plausible_id(provider_corpid):
        raise Rejected(404, _("Unknown provider."))
    provider = (
        Provider.objects.only("corpid", "token", "encoding_aes_key")
        .filter(corpid=provider_corpid)
        .first()
    )
    if provider is None:
        raise Rejected(404, _("Unknown provider %(corpid)s.") % {"corpid": provider_corpid})
    return CallbackURL(
        receiver="system",
        cipher=_cipher(provider.token, provider.encoding_aes_key),
        url_receive_ids=frozenset({provider.corpid}),
        accepts=lambda receive_id: receive_id == provider.corpid,
        provider=provider,
    )


def _signed(params: Mapping[str, str], extra: str) -> tuple[str, str, str]:
    missing = [
        n
        for n in ("msg_signature", "timestamp", "nonce", *(extra and [extra]))
        if not params.get(n)
    ]
    if missing:
        raise Rejected(
            400, _("Missing query parameters: %(names)s.") % {"names": ", ".join(missing)}
        )
    return params["msg_signature"], params["timestamp"], params["nonce"]


def _crypto_rejection(error: CallbackCryptoError) -> Rejected:
    if isinstance(error, SignatureMismatch):
        return Rejected(403, _("The signature does not match."))
    if isinstance(error, ReceiveIdMismatch):
        return Rejected(403, _("The message is addressed to another receiver."))
    return Rejected(
        400, _("The ciphertext is malformed (%(error)s).") % {"error": type(error).__name__}
    )


def verify_url(url: CallbackURL, params: Mapping[str, str]) -> str:
    """GET: WeCom checks the URL; answer the decrypted echostr exactly."""
    signature, timestamp, nonce = _signed(params, "echostr")
    try:
        echo, _receive_id = url.cipher.open(
            msg_signature=signature,
            timestamp=timestamp,
            nonce=nonce,
            encrypted=params["echostr"],
            receive_ids=url.url_receive_ids,
        )
    except CallbackCryptoError as error:
        raise _crypto_rejection(error) from None
    return echo


def query_params(request: HttpRequest) -> dict[str, str]:
    """The query parameters, the last value of each name, decoded as ``request.GET`` decodes
    them (``parse_qsl``'s rules). A callback reads three, and a QueryDict (a list per name, a copy
    of each key and value) costs several times this parse; ``parse_qsl`` itself unquotes every
    name and value, where only those with ``%`` or ``+`` need it."""
    raw = request.META.get("QUERY_STRING", "").encode("iso-8859-1")
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is not None and text.count("&") >= limit:
        raise Rejected(400, _("The address has too many query parameters."))
    params = {}
    for pair in text.split("&"):
        if pair:
            name, _equals, value = pair.partition("=")
            params[_unquoted(name)] = _unquoted(value)
    return params


def _unquoted(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


def read_body(request: HttpRequest) -> bytes:
    """The request body, refused with 413 past CALLBACK_MAX_BODY without reading all of it."""
    limit = settings.CALLBACK_MAX_BODY
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Rejected(400, _("Content-Length is not a number.")) from None
    if declared > limit:
        raise Rejected(413, _("The body is larger than %(limit)d bytes.") % {"limit": limit})
    body = request.read(limit + 1)
    if len(body) > limit:
        raise Rejected(413, _("The body is larger than %(limit)d bytes.") % {"limit": limit})
    return body


def dedupe_key(event: Event, xml: str) -> str:
    """MsgId where the event has one, else the hash of the whole decrypted document.

    Never the timestamp: two distinct events in the same second must not merge, and a
    redelivery carries the identical document.
    """
    msg_id = event.fields.get("MsgId")
    if msg_id:
        return f"msgid:{event.fields.get('ToUserName', '')}:{msg_id}"[:100]
    return "sha256:" + hashlib.sha256(xml.encode("utf-8")).hexdigest()


def open_post(url: CallbackURL, params: Mapping[str, str], body: bytes) -> Received:
    """POST: authenticate, decrypt and parse one pushed event."""
    signature, timestamp, nonce = _signed(params, "")
    sent_at = parse_timestamp(timestamp)
    if sent_at is None:
        raise Rejected(400, _("The timestamp is not a number of seconds."))
    skew = abs(time.time() - sent_at)
    if skew > _tolerance():
        raise Rejected(400, _("The timestamp is %(skew)d seconds off.") % {"skew": skew})
    try:
        document = decode_document(body)
        envelope = Envelope.parse(document)
        url.cipher.verify(signature, timestamp, nonce, envelope.encrypted)
        xml, receive_id = url.cipher.decrypt(envelope.encrypted)
    except MalformedXML as error:
        raise Rejected(
            400, _("The envelope is not acceptable XML: %(error)s") % {"error": error}
        ) from None
    except CallbackCryptoError as error:
        raise _crypto_rejection(error) from None
    if not plausible_id(receive_id) or not url.accepts(receive_id):
        raise _crypto_rejection(ReceiveIdMismatch())
    try:
        event = parse_event(xml)
    except MalformedXML as error:
        raise Rejected(
            400, _("The event is not acceptable: %(error)s") % {"error": error}
        ) from None
    _check_event(url, event)
    return Received(document, xml, event, dedupe_key(event, xml))


def _check_event(url: CallbackURL, event: Event) -> None:
    """Refuse, for good, an authentic event that cannot be processed: sent to the wrong URL, or
    carrying a value no genuine event has. A 4xx is recorded in the log; WeCom does not retry."""
    if not url.takes(event):
        raise Rejected(
            400,
            _("A %(kind)s event does not belong on this callback URL.") % {"kind": event.kind},
        )
    named = event.suite_id if isinstance(event, SuiteEvent) else ""
    if named and url.suite is not None and named != url.suite.suite_id:
        raise Rejected(400, _("The event names another suite."))
    problem = event_problem(event)
    if problem:
        raise Rejected(400, _("The event is not acceptable: %(error)s") % {"error": problem})
    for name in ("timestamp", "create_time"):
        stamp = getattr(event, name, None)
        if isinstance(stamp, int) and not 0 < stamp <= time.time() + _tolerance():
            raise Rejected(400, _("The event is dated in the future or before 1970."))


def _tolerance() -> int:
    return int(settings.CALLBACK_TIMESTAMP_TOLERANCE)
