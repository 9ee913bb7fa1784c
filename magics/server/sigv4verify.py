"""AWS Signature Version 4 verification (header form), as EMR Serverless's Livy endpoint checks requests.

Implemented from the SigV4 specification (canonical request -> string to sign -> HMAC chain), not with
botocore's signer, so tests can check it against AWS's published test-suite vectors and against botocore.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = datetime.timedelta(minutes=15)
Clock = Callable[[], datetime.datetime]


class SigV4Error(Exception):
    """The request's signature is missing, malformed, for another scope, expired or wrong (-> 403)."""


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs of a request: headers as (name, value) pairs, the raw path and query."""

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")."""
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def canonical_query(query: str) -> str:
    """Sorted, URI-encoded name=value pairs."""
    pairs = [
        (quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_request(request: SignedRequest, signed_headers: list[str], payload_hash: str) -> str:
    """The SigV4 canonical request of the spec (non-S3: the path is URI-encoded once more)."""
    values: dict[str, list[str]] = {}
    for name, value in request.headers:
        values.setdefault(name.lower(), []).append(" ".join(value.strip().split()))
    lines = []
    for name in signed_headers:
        if name not in values:
            raise SigV4Error(f"the signed header {name!r} is missing from the request")
        lines.append(f"{name}:{','.join(values[name])}\n")
    return "\n".join(
        [
            request.method.upper(),
            quote(request.path or "/", safe="/~"),
            canonical_query(request.query),
            "".join(lines),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def _parse_authorization(header: str) -> tuple[list[str], list[str], str]:
    if not header.startswith(ALGORITHM + " "):
        raise SigV4Error(f"the Authorization header is not {ALGORITHM}: sign requests with SigV4")
    fields: dict[str, str] = {}
    for part in header[len(ALGORITHM) + 1 :].split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    try:
        credential = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except KeyError as exc:
        raise SigV4Error(f"the Authorization header lacks {exc.args[0]}") from None
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise SigV4Error("the credential scope must be AKID/yyyymmdd/region/service/aws4_request")
    return credential, signed, signature


class SigV4Verifier:
    """Verify SigV4-signed requests for one service and region against known access keys."""

    def __init__(
        self, keys: Mapping[str, str], *, region: str, service: str = "emr-serverless", clock: Clock = _utcnow
    ) -> None:
        self.keys = dict(keys)
        self.region = region
        self.service = service
        self.clock = clock

    def verify(self, request: SignedRequest) -> str:
        """Check the signature; returns the access key id; raises SigV4Error saying what is wrong."""
        headers = {name.lower(): value for name, value in request.headers}
        if "authorization" not in headers:
            raise SigV4Error(
                "Missing Authentication Token: sign every request with SigV4 (service emr-serverless)"
            )
        credential, signed, signature = _parse_authorization(headers["authorization"])
        access_key, date, region, service, _ = credential
        secret = self.keys.get(access_key)
        if secret is None:
            raise SigV4Error("The security token included in the request is invalid (unknown access key).")
        if service != self.service:
            raise SigV4Error(
                f"Credential should be scoped to correct service: '{self.service}', not {service!r}."
            )
        if region != self.region:
            raise SigV4Error(
                f"Credential should be scoped to a valid region: '{self.region}', not {region!r}."
            )
        if "host" not in signed:
            raise SigV4Error("the Host header must be signed")
        amz_date = headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc
            )
        except ValueError:
            raise SigV4Error("X-Amz-Date is missing or not yyyymmddTHHMMSSZ") from None
        if amz_date[:8] != date:
            raise SigV4Error("the credential scope date differs from X-Amz-Date")
        if abs(self.clock() - when) > MAX_SKEW:
            raise SigV4Error(
                "Signature expired: the request time is more than 15 minutes from the server time."
            )
        payload_hash = hashlib.sha256(request.body).hexdigest()
        claimed = headers.get("x-amz-content-sha256")
        if claimed not in (None, "UNSIGNED-PAYLOAD", payload_hash):
            raise SigV4Error("x-amz-content-sha256 does not match the request body")
        if claimed is not None and "x-amz-content-sha256" in signed:
            payload_hash = claimed
        canonical = canonical_request(request, signed, payload_hash)
        scope = f"{date}/{region}/{service}/aws4_request"
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        string_to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
        expected = hmac.new(
            signing_key(secret, date, region, service), string_to_sign.encode(), hashlib.sha256
        )
        if not hmac.compare_digest(expected.hexdigest(), signature):
            raise SigV4Error(
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS secret access key and signing method."
            )
        return access_key
