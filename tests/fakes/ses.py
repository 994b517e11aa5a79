"""moto's server as the SES v2 endpoint, reached by the real boto3 client."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_ses(sender: str) -> Iterator[str]:
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("sesv2", region_name="us-east-1", endpoint_url=url)
        client.create_email_identity(EmailIdentity=sender.split("<")[-1].rstrip(">").strip())
        yield url
    finally:
        server.stop()


def sent_messages(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=5) as response:
        return list(json.load(response)["ses"]["Message"])
