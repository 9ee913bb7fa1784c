"""The errors emrlab.aws raises: one hierarchy under `AwsError`, every message says what to do next.

Hierarchy::

    AwsError
      NoCredentials          no AWS credentials in the standard chain
      AccessDenied           an IAM refusal (.action names the IAM action to grant)
      Throttled              AWS kept throttling after botocore's adaptive retries
      NotFound               the cluster / application / job does not exist in that region
      ClusterNotUsable       terminated or terminating cluster (.state, .reason)
        ClusterNotReady      still STARTING / BOOTSTRAPPING
      NoLivy                 the cluster has no Livy application
      EndpointUnreachable    no TCP connect to any Livy address (.tried, .security_group, .port)
      ServerlessNotUsable    release too old, Livy endpoint disabled, terminated application
      AwsWaitTimeout         a bounded wait ran out (.what, .seconds, .state)
      JobFailed              a batch job ended FAILED / CANCELLED (.outcome)
        JobTimeout           a batch job outlived --timeout and was cancelled
"""

# The class names are part of the shared contract (CONTRACTS.md section 3), hence no "Error" suffix.
# ruff: noqa: N818

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)

if TYPE_CHECKING:
    from emrlab.aws.jobs import JobOutcome


class AwsError(Exception):
    """Base class of every error emrlab.aws raises."""


class NoCredentials(AwsError):
    """No credentials were found in the AWS credential chain."""


class AccessDenied(AwsError):
    """AWS refused a call; `action` is the IAM action the caller's policy must allow."""

    def __init__(self, message: str, *, action: str) -> None:
        super().__init__(message)
        self.action = action


class Throttled(AwsError):
    """AWS throttled the call even after adaptive retries."""


class NotFound(AwsError):
    """The named resource does not exist (in this region/account)."""


class ClusterNotUsable(AwsError):
    """The cluster cannot serve Livy: it is terminated or terminating."""

    def __init__(self, message: str, *, cluster_id: str, state: str, reason: str = "") -> None:
        super().__init__(message)
        self.cluster_id = cluster_id
        self.state = state
        self.reason = reason


class ClusterNotReady(ClusterNotUsable):
    """The cluster is still starting; retry later or wait for it."""


class NoLivy(AwsError):
    """The cluster was created without the Livy application."""


class EndpointUnreachable(AwsError):
    """No Livy address of the cluster accepted a TCP connection."""

    def __init__(self, message: str, *, tried: list[str], security_group: str | None, port: int) -> None:
        super().__init__(message)
        self.tried = tried
        self.security_group = security_group
        self.port = port


class ServerlessNotUsable(AwsError):
    """The EMR Serverless application cannot serve an interactive Livy endpoint."""


class AwsWaitTimeout(AwsError):
    """A bounded wait on an AWS resource state ran out."""

    def __init__(self, message: str, *, what: str, seconds: float, state: str | None) -> None:
        super().__init__(message)
        self.what = what
        self.seconds = seconds
        self.state = state


class JobFailed(AwsError):
    """A batch job (Serverless job run or cluster step) did not succeed; `outcome` has its details."""

    def __init__(self, message: str, *, outcome: JobOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


class JobTimeout(JobFailed):
    """A batch job ran past its timeout; it was cancelled."""


_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
# EMR says "Cluster id 'j-X' is not valid." for an unknown cluster.
_NOT_FOUND_WORDS = ("not found", "does not exist", "doesn't exist", "is not valid")
_NOT_FOUND = {"ResourceNotFoundException", "NoSuchEntity", "NotFoundException", "NoSuchBucket"}


def from_client_error(error: ClientError, *, action: str, resource: str = "") -> AwsError:
    """Translate a botocore ClientError raised by `action` (e.g. "elasticmapreduce:DescribeCluster")."""
    info: dict[str, Any] = error.response.get("Error", {})
    code = str(info.get("Code", ""))
    text = str(info.get("Message", "")) or str(error)
    target = f" on {resource}" if resource else ""
    if code in _DENIED:
        return AccessDenied(
            f"AWS denied {action}{target}: {text}. Allow the IAM action {action} for these credentials "
            "(or use a profile/role that has it).",
            action=action,
        )
    if code in _THROTTLED:
        return Throttled(f"AWS throttled {action}{target} after retries ({text}); wait a minute and retry.")
    lowered = text.lower()
    not_found = any(words in lowered for words in _NOT_FOUND_WORDS)
    if code in _NOT_FOUND or (code in ("InvalidRequestException", "ValidationException") and not_found):
        return NotFound(
            f"{resource or 'the resource'} was not found ({text}); check the id and the region/profile "
            "in use."
        )
    return AwsError(f"{action}{target} failed ({code or 'error'}): {text}")


@contextmanager
def aws_errors(action: str, resource: str = "") -> Iterator[None]:
    """Turn botocore exceptions raised inside the block into AwsError subclasses with actionable messages."""
    try:
        yield
    except ClientError as error:
        raise from_client_error(error, action=action, resource=resource) from error
    except NoCredentialsError as error:
        raise NoCredentials(
            "no AWS credentials found: run `aws configure` or `aws sso login`, set AWS_PROFILE, "
            "or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
        ) from error
    except NoRegionError as error:
        raise AwsError("no AWS region configured: pass --region or set AWS_REGION.") from error
    except ProfileNotFound as error:
        raise AwsError(f"{error}; check ~/.aws/config or pass another --profile.") from error
    except EndpointConnectionError as error:
        raise AwsError(
            f"cannot reach the AWS endpoint for {action} ({error}); check the network, the region, "
            "and AWS_ENDPOINT_URL if set."
        ) from error
    except BotoCoreError as error:
        raise AwsError(f"{action}{' on ' + resource if resource else ''} failed: {error}") from error
