"""A throwaway PKI made with the openssl command line: a test CA, server
certificates whose keys come in each PEM form a server may be handed
(PKCS#8, PKCS#1, SEC1), client certificates, and a second CA whose
certificates must be refused."""
from __future__ import annotations

import os
import subprocess
from typing import Dict, List, Optional


def _openssl(*args: str, cwd: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


#: key kind -> (openssl command that writes it, the PEM header it must have)
KEY_KINDS = {
    "rsa-pkcs8": (["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                  "-----BEGIN PRIVATE KEY-----"),
    "rsa-pkcs1": (["genrsa", "-traditional", "2048"], "-----BEGIN RSA PRIVATE KEY-----"),
    "ec-sec1": (["ecparam", "-name", "prime256v1", "-genkey", "-noout"], "-----BEGIN EC PRIVATE KEY-----"),
    "ec-pkcs8": (["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                 "-----BEGIN PRIVATE KEY-----"),
}


class Pki:
    """Files under ``root``; every path returned is absolute."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.ca = self._ca("ca", "riffq test CA")
        self.rogue_ca = self._ca("rogue", "someone else's CA")

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def _key(self, name: str, kind: str) -> str:
        cmd, header = KEY_KINDS[kind]
        _openssl(cmd[0], "-out", name + ".key", *cmd[1:], cwd=self.root)
        with open(self.path(name + ".key")) as f:
            assert f.readline().strip() == header, (kind, name)
        return self.path(name + ".key")

    def _ca(self, name: str, cn: str) -> str:
        self._key(name, "rsa-pkcs8")
        _openssl("req", "-x509", "-new", "-key", name + ".key", "-days", "2", "-sha256",
                 "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", name + ".crt",
                 cwd=self.root)
        return self.path(name + ".crt")

    def _sign(self, name: str, subject: str, ca: str, extensions: List[str]) -> str:
        _openssl("req", "-new", "-key", name + ".key", "-subj", subject, "-out", name + ".csr",
                 cwd=self.root)
        with open(self.path(name + ".ext"), "w") as f:
            f.write("\n".join(extensions) + "\n")
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
                 "-CAcreateserial", "-days", "2", "-sha256", "-extfile", name + ".ext",
                 "-out", name + ".crt", cwd=self.root)
        return self.path(name + ".crt")

    def server(self, name: str, kind: str = "rsa-pkcs8", hosts: Optional[List[str]] = None,
               ca: str = "ca") -> Dict[str, str]:
        """A server certificate for ``hosts`` (DNS names and IP addresses)."""
        hosts = hosts or ["localhost", "127.0.0.1"]
        key = self._key(name, kind)
        alt = ",".join(("IP:" if h.replace(".", "").isdigit() else "DNS:") + h for h in hosts)
        crt = self._sign(name, "/CN=" + hosts[0], ca, ["subjectAltName=" + alt,
                                                       "extendedKeyUsage=serverAuth"])
        return {"crt": crt, "key": key}

    def client(self, name: str, common_name: str, ca: str = "ca") -> Dict[str, str]:
        """A client certificate for ``common_name`` (key readable only by us:
        libpq refuses a world-readable key)."""
        key = self._key(name, "rsa-pkcs8")
        os.chmod(key, 0o600)
        crt = self._sign(name, "/O=riffq tests/CN=" + common_name, ca,
                         ["extendedKeyUsage=clientAuth"])
        return {"crt": crt, "key": key}
