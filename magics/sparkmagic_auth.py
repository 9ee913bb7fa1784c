"""A sparkmagic `authenticators` entry that signs Livy requests with emrlab's SigV4Auth (EMR Serverless).

sparkmagic config (~/.sparkmagic/config.json):
    "authenticators": {"EmrServerless": "emrlab.magics.sparkmagic_auth.EmrServerlessAuthenticator", ...},
    "kernel_python_credentials": {"url": "https://APP.livy.emr-serverless-services.REGION.amazonaws.com",
                                  "auth": "EmrServerless"}
Credentials come from the standard AWS chain (refreshed per request); the region from the URL, else
$EMRLAB_SIGV4_REGION / the AWS config. This is the only module that imports sparkmagic.
"""

from __future__ import annotations

import os
from typing import Any

import requests
from sparkmagic.auth.customauth import Authenticator  # type: ignore[import-untyped,unused-ignore]

from .auth import SigV4Auth, region_from_url

__all__ = ["EmrServerlessAuthenticator"]

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
