"""sparkmagic `authenticators` entries: SigV4 for EMR Serverless, the bearer token for the local endpoint.

sparkmagic config (~/.sparkmagic/config.json):
    "authenticators": {"EmrServerless": "emrlab.magics.sparkmagic_auth.EmrServerlessAuthenticator", ...},
    "kernel_python_credentials": {"url": "https://APP.livy.emr-serverless-services.REGION.amazonaws.com",
                                  "auth": "EmrServerless"}
Credentials come from the standard AWS chain (refreshed per request); the region from the URL, else
$EMRLAB_SIGV4_REGION / the AWS config.

For the local endpoint (`emrlab livy`):
    "EmrlabLocal": "emrlab.magics.sparkmagic_auth.LocalLivyAuthenticator"
whose token is $EMRLAB_LIVY_TOKEN, else the endpoint's connection file (read per request, so a restarted
endpoint's new token is picked up); the token is never written into sparkmagic's config.
This is the only module that imports sparkmagic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests
from sparkmagic.auth.customauth import Authenticator  # type: ignore[import-untyped,unused-ignore]

from .auth import SigV4Auth, region_from_url
from .errors import ConfigurationError

__all__ = ["EmrServerlessAuthenticator", "LocalLivyAuthenticator"]

REGION_ENV = "EMRLAB_SIGV4_REGION"


class EmrServerlessAuthenticator(Authenticator):  # type: ignore[misc,unused-ignore]
    """sparkmagic Authenticator signing each request with SigV4 (service emr-serverless)."""

    def __init__(self, parsed_attributes: Any = None, *, session: Any = None) -> None:
        super().__init__(parsed_attributes)
        self._session = session
        self._signers: dict[str, SigV4Auth] = {}

    def _signer(self, url: str) -> SigV4Auth:
        region = region_from_url(url) or os.environ.get(REGION_ENV) or None
        key = region or ""
        if key not in self._signers:
            self._signers[key] = SigV4Auth(self._session, region=region)
        return self._signers[key]

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return self._signer(request.url or self.url)(request)

    def __repr__(self) -> str:
        return f"EmrServerlessAuthenticator(url={self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EmrServerlessAuthenticator) and other.url == self.url

    def __hash__(self) -> int:
        return hash((self.url, type(self).__name__))


class LocalLivyAuthenticator(Authenticator):  # type: ignore[misc,unused-ignore]
    """sparkmagic Authenticator sending the local endpoint's bearer token ($EMRLAB_LIVY_TOKEN or the
    connection file, $EMRLAB_LIVY_CONNECTION_FILE or the default one)."""

    def __init__(self, parsed_attributes: Any = None, *, connection_file: str | None = None) -> None:
        super().__init__(parsed_attributes)
        self._connection_file = connection_file

    def _token(self) -> str:
        from .credentials import TOKEN_ENV
        from .server.connection import default_connection_file, read_connection_file

        token = os.environ.get(TOKEN_ENV)
        if token:
            return token
        path = Path(self._connection_file) if self._connection_file else default_connection_file()
        info = read_connection_file(path)
        if info is None or not info.get("token"):
            raise ConfigurationError(
                f"no token for the local endpoint: set ${TOKEN_ENV}, or start it with `emrlab livy` "
                f"(it writes {path})"
            )
        return str(info["token"])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        return request

    def __repr__(self) -> str:
        return f"LocalLivyAuthenticator(url={self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalLivyAuthenticator) and other.url == self.url

    def __hash__(self) -> int:
        return hash((self.url, type(self).__name__))
