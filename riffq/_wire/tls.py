"""The server's TLS context, as PostgreSQL clients expect it.

TLS runs over memory buffers (``SSLContext.wrap_bio``) inside the event
loop, so this module only builds the context: the certificate and key, a
modern protocol floor, ALPN ``postgresql`` (which PostgreSQL 17 clients
send, and which direct TLS requires), an SNI callback that records the name
a client asked for (it reaches ``handle_connect(server_name=...)``), and,
when a CA is given, client-certificate verification.
"""
from __future__ import annotations

import ssl
from typing import Any, Dict, MutableMapping, Optional

#: RFC 4514 short names for the attributes Python's ssl module reports
_SHORT_NAMES = {
    "commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
    "countryName": "C", "stateOrProvinceName": "ST", "localityName": "L",
    "streetAddress": "STREET", "domainComponent": "DC", "userId": "UID",
}


def make_server_context(certfile: str, keyfile: str, sni_names: MutableMapping[Any, str],
                        ca: Optional[str] = None, require_client_cert: bool = False) -> ssl.SSLContext:
    """``sni_names`` receives ``{SSLObject: name}``; a weak mapping, so an
    abandoned handshake leaves nothing behind. With ``ca``, clients are
    asked for a certificate, and one they present must chain to ``ca``
    (like PostgreSQL's ``ssl_ca_file``); ``require_client_cert`` makes it
    mandatory, as ``clientcert=verify-ca`` does."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certfile, keyfile)
    if ca is not None:
        ctx.load_verify_locations(cafile=ca)
        ctx.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    elif require_client_cert:
        raise ValueError("require_client_cert needs ca= (the CA that signs client certificates)")
    try:
        ctx.set_alpn_protocols(["postgresql"])
    except NotImplementedError:  # an OpenSSL without ALPN
        pass

    def remember_sni(sslobj: ssl.SSLObject, name: str, _ctx: ssl.SSLContext) -> None:
        if name:
            sni_names[sslobj] = name
    ctx.sni_callback = remember_sni
    return ctx


def _rfc4514(name: Any) -> str:
    parts = []
    for rdn in reversed(name or ()):
        attrs = []
        for key, value in rdn:
            value = str(value)
            escaped = "".join("\\" + ch if ch in ',+"\\<>;' else ch for ch in value)
            if escaped.startswith((" ", "#")):
                escaped = "\\" + escaped
            if escaped.endswith(" ") and not escaped.endswith("\\ "):
                escaped = escaped[:-1] + "\\ "
            attrs.append("%s=%s" % (_SHORT_NAMES.get(key, key), escaped))
        parts.append("+".join(attrs))
    return ",".join(parts)


def _attribute(name: Any, wanted: str) -> Optional[str]:
    for rdn in name or ():
        for key, value in rdn:
            if key == wanted:
                return str(value)
    return None


def describe_certificate(cert: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """What handlers see of a verified client certificate: ``subject`` and
    ``issuer`` as RFC 4514 strings (the form PostgreSQL's ``pg_stat_ssl``
    shows), ``common_name`` (what the ``cert`` method compares with the user
    name), ``serial_number`` and ``not_after``. None without one."""
    if not cert:
        return None
    return {
        "subject": _rfc4514(cert.get("subject")),
        "issuer": _rfc4514(cert.get("issuer")),
        "common_name": _attribute(cert.get("subject"), "commonName"),
        "serial_number": cert.get("serialNumber"),
        "not_after": cert.get("notAfter"),
    }
