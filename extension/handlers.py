"""The `/emrlab/api/` handlers (CONTRACTS.md section 4): they only translate HTTP. Every method is
`@tornado.web.authenticated` (jupyter_server's APIHandler adds the XSRF check on POST and the
cross-origin checks); blocking boto3 and converter work runs in the Service's thread pool, off the IOLoop.

Errors are `{"error": {"kind", "message", "action"}}` with NoCredentials 503, AccessDenied 403, Throttled 429,
NotFound 404, BadRequest 400, other AwsError 502. Messages come from emrlab.aws.errors (what happened and
what to do); nothing in a response or a log line carries a credential.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from emrlab.aws import errors as aws
from emrlab.aws import inventory
from emrlab.extension.convert import ConvertRequestError, convert_path
from emrlab.extension.settings import EmrLab, Service

SETTINGS_KEY = "emrlab"
ID = r"(?P<resource_id>[A-Za-z0-9_.-]{1,64})"
STATUS = {
    "NoCredentials": 503,
    "AccessDenied": 403,
    "Throttled": 429,
    "NotFound": 404,
    "BadRequest": 400,
    "AwsError": 502,
}


def error_body(error: BaseException) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for an error raised while serving a request."""
    action = None
    if isinstance(error, (inventory.InvalidRequest, ConvertRequestError)):
        kind = "BadRequest"
    elif isinstance(error, aws.NoCredentials):
        kind = "NoCredentials"
    elif isinstance(error, aws.AccessDenied):
        kind, action = "AccessDenied", error.action
    elif isinstance(error, aws.Throttled):
        kind = "Throttled"
    elif isinstance(error, aws.NotFound):
        kind = "NotFound"
    else:
        kind = "AwsError"
    return STATUS[kind], {"error": {"kind": kind, "message": str(error), "action": action}}


class EmrLabHandler(APIHandler):
    """Shared parts: the Service, query parsing, running work off the loop, JSON errors."""

    @property
    def service(self) -> Service:
        return self.settings[SETTINGS_KEY]  # type: ignore[no-any-return]

    def regions(self) -> list[str]:
        return self.service.regions(self.get_arguments("region"))

    def profile(self) -> str | None:
        return self.service.profile(self.get_argument("profile", None))

    def refresh(self) -> bool:
        return self.get_argument("refresh", "0").lower() in ("1", "true", "yes")

    def body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except ValueError:
            raise inventory.InvalidRequest(
                "the request body is not JSON: send an object such as {}."
            ) from None
        if not isinstance(data, dict):
            raise inventory.InvalidRequest("the request body must be a JSON object.")
        return data

    async def run(self, work: Callable[[], Any]) -> Any:
        """`work()` in the Service's thread pool."""
        return await IOLoop.current().run_in_executor(self.service.executor, work)

    async def answer(self, work: Callable[[], dict[str, Any]]) -> None:
        """Finish with `work()`'s JSON, or with the error shape of section 4."""
        try:
            result = await self.run(work)
        except (aws.AwsError, ConvertRequestError) as error:
            status, reply = error_body(error)
            self.log.warning("emrlab: %s %s -> %s %s", self.request.method, self.request.path, status,
                             reply["error"]["kind"])  # fmt: skip
            self.set_status(status)
            self.finish(json.dumps(reply))
            return
        self.finish(json.dumps(result))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Tornado errors (403 without a token, 405, bad XSRF...) in the same JSON shape."""
        self.set_header("Content-Type", "application/json")
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        kind = "BadRequest" if status_code == 400 else ("Forbidden" if status_code == 403 else "Error")
        self.finish(json.dumps({"error": {"kind": kind, "message": str(message), "action": None}}))

    def listed(self, call: str, function: Callable[..., dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        """A list fetch through the TTL cache, keyed by (call, regions, profile, filters)."""
        regions, profile = tuple(self.regions()), self.profile()
        state = self.get_argument("state", "ACTIVE")
        name = self.get_argument("name", "") or None
        page = self.get_argument("page", "") or None
        key = (call, regions, profile, state.upper(), name, page)

        def work() -> dict[str, Any]:
            pool = self.service.pool(profile)
            found = self.service.cached(
                key,
                lambda: function(pool, regions=regions, states=state, name=name, page=page, profile=profile),
                refresh=self.refresh(),
            )
            return _stamped(found.value, found.cached)

        return work

    def one(
        self, call: str, function: Callable[..., dict[str, Any]], resource_id: str
    ) -> Callable[[], dict[str, Any]]:
        """A detail fetch through the TTL cache, keyed by (call, region, profile, id)."""
        region, profile = self.regions()[0], self.profile()
        key = (call, region, profile, resource_id)

        def work() -> dict[str, Any]:
            pool = self.service.pool(profile)
            found = self.service.cached(
                key, lambda: function(pool, resource_id, region=region), refresh=self.refresh()
            )
            return _stamped(found.value, found.cached)

        return work

    def action(
        self, function: Callable[..., dict[str, Any]], resource_id: str
    ) -> Callable[[], dict[str, Any]]:
        """A state-changing call; afterwards every cached answer is forgotten (states and burn changed)."""
        profile = self.profile()

        def work() -> dict[str, Any]:
            body = self.body()
            asked = [str(body["region"])] if body.get("region") else self.get_arguments("region")
            region = self.service.regions(asked)[0]
            result = function(self.service.pool(profile), resource_id, region=region)
            self.service.cache.invalidate()
            return result

        return work


def _stamped(value: dict[str, Any], cached: bool) -> dict[str, Any]:
    return {**value, "cached": cached}


class ClustersHandler(EmrLabHandler):
    """GET clusters?state=&name=&page=&region=&profile=&refresh=1"""

    @tornado.web.authenticated
    async def get(self) -> None:
        await self.answer(self.listed("clusters", inventory.list_clusters))


class ClusterHandler(EmrLabHandler):
    """GET clusters/{id}"""

    @tornado.web.authenticated
    async def get(self, resource_id: str) -> None:
        await self.answer(self.one("cluster", inventory.cluster_detail, resource_id))


class TerminateHandler(EmrLabHandler):
    """POST clusters/{id}/terminate  body {"region": "..."}"""

    @tornado.web.authenticated
    async def post(self, resource_id: str) -> None:
        await self.answer(self.action(inventory.terminate_cluster, resource_id))


class ApplicationsHandler(EmrLabHandler):
    """GET serverless/applications?state=&name=&page="""

    @tornado.web.authenticated
    async def get(self) -> None:
        await self.answer(self.listed("applications", inventory.list_applications))


class ApplicationHandler(EmrLabHandler):
    """GET serverless/applications/{id}"""

    @tornado.web.authenticated
    async def get(self, resource_id: str) -> None:
        await self.answer(self.one("application", inventory.application_detail, resource_id))


class PricesHandler(EmrLabHandler):
    """GET prices: the snapshot's date, currency, sources and regions."""

    @tornado.web.authenticated
    async def get(self) -> None:
        def work() -> dict[str, Any]:
            from emrlab.aws.prices import load_prices

            return dict(load_prices().describe())

        await self.answer(work)


class StopHandler(EmrLabHandler):
    """POST serverless/applications/{id}/stop  body {"region": "..."}"""

    @tornado.web.authenticated
    async def post(self, resource_id: str) -> None:
        await self.answer(self.action(inventory.stop_application, resource_id))


class ConvertHandler(EmrLabHandler):
    """POST convert  body {"path": "<relative to root_dir>", "target": "emrlab"}"""

    @tornado.web.authenticated
    async def post(self) -> None:
        root = str(self.settings.get("server_root_dir") or ".")

        def work() -> dict[str, Any]:
            body = self.body()
            return convert_path(root, body.get("path"), body.get("target") or "emrlab")

        await self.answer(work)


ROUTES: list[tuple[str, type[EmrLabHandler]]] = [
    ("clusters", ClustersHandler),
    (f"clusters/{ID}", ClusterHandler),
    (f"clusters/{ID}/terminate", TerminateHandler),
    ("serverless/applications", ApplicationsHandler),
    (f"serverless/applications/{ID}", ApplicationHandler),
    (f"serverless/applications/{ID}/stop", StopHandler),
    ("prices", PricesHandler),
    ("convert", ConvertHandler),
]


def handlers(base_url: str) -> list[tuple[str, type[EmrLabHandler]]]:
    """The (URL pattern, handler) list under `{base_url}emrlab/api/` (the auth test walks it)."""
    return [(url_path_join(base_url, "emrlab", "api", path) + "/?$", handler) for path, handler in ROUTES]


def setup_handlers(serverapp: Any) -> Service:
    """Create the Service from `c.EmrLab.*` and add the handlers to the server's web app."""
    web_app = serverapp.web_app
    service = Service(EmrLab(config=serverapp.config))
    web_app.settings[SETTINGS_KEY] = service
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"]))
    serverapp.log.info(
        "emrlab: /emrlab/api/ serving regions %s (cache %.0f s)",
        service.regions([]),
        service.settings.cache_ttl,
    )
    return service
