"""HTTP errors of the local Livy endpoint; each becomes a JSON body {"msg": ...} with its status."""

from __future__ import annotations

from tornado.web import HTTPError


class HttpError(HTTPError):
    """An error answer: status code and a message that says what to do."""

    default_status = 400

    def __init__(self, msg: str, status: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status or self.default_status)
        self.msg = msg
        self.headers = headers or {}

    def __str__(self) -> str:
        return self.msg


class BadRequestError(HttpError):
    """400: the body or the request is not acceptable."""

    default_status = 400


class NotFoundError(HttpError):
    """404: no such session, statement or batch."""

    default_status = 404
