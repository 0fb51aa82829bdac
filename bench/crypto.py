"""Per-message callback pipeline cost against its cryptographic floor, in one process.

Pipeline: parse the ~1.4 KB envelope, verify msg_signature, decrypt, parse the inner XML into a
typed event. Floor: AES-256-CBC decrypt plus SHA-1 of the same bytes with ``cryptography``.
Both are timed in interleaved rounds and reported as medians, so machine noise hits both alike;
the ratio is the figure to compare across runs. Also reports how long refusing a DTD takes.

    python bench/crypto.py [--rounds 15] [--number 2000]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wecom.crypto import CallbackCipher, validate_encoding_aes_key
from wecom.events import parse_event
from wecom.xml import Envelope, MalformedXML, render

TOKEN = "QDG6eK"
KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SUITE_ID = "ww4asffe99e54c0fxxxx"
TARGET_US = 100.0


def sample_envelope() -> tuple[CallbackCipher, bytes, str]:
    """A create_user change_contact event, the largest common command event, ~1.4 KB sealed."""
    inner = render(
        {
            "SuiteId": SUITE_ID,
            "AuthCorpId": "wxf8b4f85f3a794e77",
            "InfoType": "change_contact",
            "TimeStamp": 1403610513,
            "ChangeType": "create_user",
            "UserID": "zhangsan",
            "OpenUserID": "woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA",
            "Name": "张三",
            "Department": "1,2,3",
            "MainDepartment": 1,
            "IsLeaderInDept": "1,0,0",
            "DirectLeader": "lisi,wangwu",
            "Position": "产品经理",
            "Gender": 1,
            "Email": "zhangsan@gzdev.com",
            "Status": 1,
            "Avatar": "http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZD/0",
            "Alias": "zhangsan",
            "Telephone": "020-123456",
        }
    )
    cipher = CallbackCipher(TOKEN, KEY)
    sealed = cipher.seal(inner, SUITE_ID, timestamp="1700000000", nonce="1372623149")
    body = Envelope(SUITE_ID, "", sealed.encrypted).render().encode()
    return cipher, body, sealed.signature


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()

    cipher, body, msg_signature = sample_envelope()
    receive_ids = frozenset({SUITE_ID})

    def pipeline() -> None:
        envelope = Envelope.parse(body)
        message, _ = cipher.open(
            msg_signature=msg_signature,
            timestamp="1700000000",
            nonce="1372623149",
            encrypted=envelope.encrypted,
            receive_ids=receive_ids,
        )
        parse_event(message)

    raw = base64.b64decode(Envelope.parse(body).encrypted)
    aes_key = validate_encoding_aes_key(KEY)

    def floor() -> None:
        decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(aes_key[:16])).decryptor()
        decryptor.update(raw) + decryptor.finalize()
        hashlib.sha1(raw).hexdigest()

    dtd = b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">]><xml><Encrypt>&a;</Encrypt></xml>'

    def refuse_dtd() -> None:
        with contextlib.suppress(MalformedXML):
            Envelope.parse(dtd)

    timings: dict[str, list[float]] = {"pipeline": [], "floor": [], "refuse_dtd": []}
    jobs = {"pipeline": pipeline, "floor": floor, "refuse_dtd": refuse_dtd}
    for job in jobs.values():
        job()  # warm up
    for _ in range(args.rounds):
        for name, job in jobs.items():
            timings[name].append(timeit.timeit(job, number=args.number) / args.number * 1e6)

    median = {name: statistics.median(values) for name, values in timings.items()}
    ratio = median["pipeline"] / median["floor"]
    print(f"envelope size           {len(body)} bytes")
    pipeline_us = median["pipeline"]
    print(f"pipeline (median)       {pipeline_us:.1f} µs/message   target ≤ {TARGET_US:.0f} µs")
    print(f"floor AES+SHA1 (median) {median['floor']:.1f} µs/message")
    print(f"ratio pipeline/floor    {ratio:.1f}x")
    print(f"DTD refused (median)    {median['refuse_dtd']:.1f} µs")
    print(f"within target           {'yes' if median['pipeline'] <= TARGET_US else 'NO'}")


if __name__ == "__main__":
    main()
