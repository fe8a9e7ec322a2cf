"""The server's TLS context, as PostgreSQL clients expect it.

TLS runs over memory buffers (``SSLContext.wrap_bio``) inside the event
loop, so this module only builds the context: the certificate and key, a
modern protocol floor, ALPN ``postgresql`` (which PostgreSQL 17 clients
send) and an SNI callback that records the name a client asked for, which
reaches ``handle_connect(server_name=...)``.
"""
from __future__ import annotations

import ssl
from typing import Any, MutableMapping


def make_server_context(certfile: str, keyfile: str, sni_names: MutableMapping[Any, str]) -> ssl.SSLContext:
    """``sni_names`` receives ``{SSLObject: name}``; a weak mapping, so an
    abandoned handshake leaves nothing behind."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certfile, keyfile)
    try:
        ctx.set_alpn_protocols(["postgresql"])
    except NotImplementedError:  # an OpenSSL without ALPN
        pass

    def remember_sni(sslobj: ssl.SSLObject, name: str, _ctx: ssl.SSLContext) -> None:
        if name:
            sni_names[sslobj] = name
    ctx.sni_callback = remember_sni
    return ctx
