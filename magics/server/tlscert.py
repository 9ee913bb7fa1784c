"""A throw-away CA and server certificate for `--tls` (made with trustme), written to a private folder."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TlsFiles:
    """The CA clients must trust, and the server's certificate chain and key."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """An SSLContext for the server side (TLS 1.2+)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def make_certificates(directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TlsFiles:
    """Create a CA and a server certificate for `hosts` in `directory` (which should be mode 0700)."""
    try:
        import trustme
    except ImportError:
        raise RuntimeError("--tls needs the 'trustme' package: pip install trustme") from None
    ca = trustme.CA(organization_name="emrlab local Livy")
    cert = ca.issue_cert(*hosts)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    ca.cert_pem.write_to_path(str(files.ca_file))
    cert.cert_chain_pems[0].write_to_path(str(files.cert_file))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(files.cert_file), append=True)
    cert.private_key_pem.write_to_path(str(files.key_file))
    files.key_file.chmod(0o600)
    return files
