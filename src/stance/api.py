"""HTTP API: ``create_app(model_path)`` builds a FastAPI app that loads the model once at start-up."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import validation_error_definition, validation_error_response_definition
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from stance.cli import MAX_BODY, MAX_CHARS, MAX_TEXTS
from stance.errors import StanceError
from stance.labels import LABELS
from stance.predict import StanceModel

__all__ = ["app_from_env", "create_app", "serve"]


class Scores(BaseModel):
    denial: float
    accusation: float
    neutral: float


class PredictionOut(BaseModel):
    label: str = Field(examples=["denial"])
    scores: Scores


class SentenceOut(PredictionOut):
    start: int
    end: int
    text: str


class ModelInfo(BaseModel):
    name: str
    version: str
    sha256: str


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"texts": ["The ministry dismissed the report as a fabrication.",
                                "Police said the man had been charged with fraud."]}]})
    texts: list[StrictStr] = Field(description="statements to classify, one prediction each")


class PredictResponse(BaseModel):
    model: ModelInfo
    predictions: list[PredictionOut]


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"text": "Pyongyang denied the report. US officials said shells were shipped by rail."}]})
    text: StrictStr = Field(description="a whole report; it is split into sentences")


class Summary(BaseModel):
    counts: dict[str, int]
    denials: list[SentenceOut]
    accusations: list[SentenceOut]


class AnalyzeResponse(BaseModel):
    model: ModelInfo
    sentences: list[SentenceOut]
    summary: Summary


class Health(BaseModel):
    status: str
    ready: bool


def _unprocessable(message: str, *loc: str | int) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["body", *loc], "msg": message, "type": "value_error"}])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]} out of range")
    return value


# json.loads with hooks would build a new decoder for every request
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite)


def _loads(body: bytes) -> Any:
    """``json.loads(body)`` as strict JSON: NaN and Infinity are refused, as are numbers that
    overflow a float (they could not be echoed back in a 422). Bytes are decoded as
    ``json.loads`` decodes them (UTF-8, with or without a BOM, UTF-16 or UTF-32)."""
    return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


def _parse(model: type[BaseModel], body: bytes) -> Any:
    """Decode and validate a JSON request body as FastAPI's body parameters do (``json.loads``,
    which also reads UTF-8 with a BOM, UTF-16 and lone surrogates; then pydantic), without their
    per-request dependency solving. Errors are raised as FastAPI's own ``RequestValidationError``,
    so the 422 has FastAPI's usual shape, each error's ``loc`` under ``body``."""
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        data = _loads(body)
    except json.JSONDecodeError as exc:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
                                       "input": {}, "ctx": {"error": exc.msg}}]) from None
    except UnicodeDecodeError as exc:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", exc.start), "msg": "JSON decode error",
                                       "input": {}, "ctx": {"error": exc.reason}}]) from None
    except (ValueError, RecursionError) as exc:  # NaN, overflow, integers over 4,300 digits, deep nesting
        error = ("nested too deeply" if isinstance(exc, RecursionError) else
                 "integer too long" if "int_max_str_digits" in str(exc) else str(exc))
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error",
                                       "input": {}, "ctx": {"error": error}}]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)],
                                     body=data) from None


_SCHEMAS = "#/components/schemas/"


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a request body that the handler validates itself with :func:`_parse` (the
    schema itself is added to the components by :func:`_openapi`)."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": {"$ref": _SCHEMAS + model.__name__}}}}}


_DETAIL = {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}}
_NOT_READY: dict[int | str, dict[str, Any]] = {503: {"description": "The model is not loaded yet", "content": _DETAIL}}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The request body is over the server's `--max-body` bytes", "content": _DETAIL},
    415: {"description": "The Content-Type is not application/json", "content": _DETAIL},
    422: {"description": "Validation Error: each error's `loc` names the field, e.g. `[\"body\", \"texts\", 1]`",
          "content": {"application/json": {"schema": {"$ref": _SCHEMAS + "HTTPValidationError"}}}},
    **_NOT_READY}


def _openapi(app: FastAPI, max_texts: int, max_chars: int) -> dict[str, Any]:
    """FastAPI's OpenAPI document plus the components that the self-validated request bodies
    refer to, with this server's limits on them (FastAPI's documented way of extending it:
    replace ``app.openapi``)."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (PredictRequest, AnalyzeRequest):
            components[model.__name__] = model.model_json_schema(ref_template=_SCHEMAS + "{model}")
        text = {"minLength": 1, "maxLength": max_chars, "pattern": r"\S"}  # not blank
        components["PredictRequest"]["properties"]["texts"].update(minItems=1, maxItems=max_texts)
        components["PredictRequest"]["properties"]["texts"]["items"].update(text)
        components["AnalyzeRequest"]["properties"]["text"].update(text)
        components.setdefault("ValidationError", validation_error_definition)
        components.setdefault("HTTPValidationError", validation_error_response_definition)
    return app.openapi_schema


# Requests with more texts, or more characters, than this are classified in the threadpool, so a
# large request does not hold up /health and small requests; small ones run inline (faster).
INLINE_TEXTS = 16
INLINE_CHARS = 5000


_BODY_ROUTES = frozenset(("/v1/predict", "/v1/analyze"))


class _Gateway:
    """Pure ASGI middleware for POST requests to the routes that take a body (``/v1/predict``,
    ``/v1/analyze``): 415 unless the body is JSON, 413 for a body over ``max_body`` bytes,
    whether or not it declares its Content-Length.

    It also answers the hot path, a well-formed ``POST /v1/predict`` of a few texts, with
    ``fast_predict`` directly, skipping FastAPI's per-request routing and dependency solving
    (which cost more than classifying a sentence). ``fast_predict`` returns ``None`` for
    anything it does not accept; such a request goes on to the FastAPI route with its body, so
    every error and every response is the route's own (tests compare the two byte for byte).
    A client that disconnects before its body is complete gets no answer from either.
    """

    def __init__(self, app: Any, max_body: int, fast_predict: Any = None) -> None:
        self.app = app
        self.max_body = max_body
        self.fast_predict = fast_predict

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in _BODY_ROUTES:
            await self.app(scope, receive, send)  # other routes and methods: the app's 404 or 405
            return
        ctype = length = None
        for key, value in scope.get("headers") or ():  # the first of a repeated header, as Starlette reads it
            if key == b"content-type" and ctype is None:
                ctype = value
            elif key == b"content-length" and length is None:
                length = value
        if (ctype or b"").split(b";")[0].strip().lower() != b"application/json":
            await _send_json(send, 415, {"detail": "Content-Type must be application/json"})
            return
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _send_json(send, 413, {"detail": f"request body over {self.max_body} bytes"})
            return
        if length is not None and (self.fast_predict is None or scope["path"] != "/v1/predict"):
            await self.app(scope, receive, send)
            return
        # Read the body here, up to the limit (a chunked body declares no length), then either
        # answer it on the hot path or replay it to the app.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                await _send_json(send, 413, {"detail": f"request body over {self.max_body} bytes"})
                return
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if self.fast_predict is not None and scope["path"] == "/v1/predict":
            payload = self.fast_predict(body)
            if payload is not None:
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-length", str(len(payload)).encode()),
                                        (b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": payload})
                return
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _send_json(send: Any, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def create_app(model_path: str | Path | None = None, *, max_texts: int = MAX_TEXTS, max_chars: int = MAX_CHARS,
               max_body: int = MAX_BODY, model: StanceModel | None = None, freeze_gc: bool = False,
               fast_path: bool = True) -> FastAPI:
    """Build the app. The model at ``model_path`` is loaded (and verified) at start-up; pass a
    loaded ``model`` instead to skip loading (tests, notebooks). ``freeze_gc`` is for a process
    that only serves this app (``stance serve``): see the lifespan below. ``fast_path=False``
    sends every request through FastAPI's routing (see :class:`_Gateway`)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.model = model if model is not None else StanceModel.load(model_path)
        app.state.model.predict(["Warm-up: \u201cn\u00e9e\u201d."])  # build lazy tables before the first request
        if freeze_gc:
            # The model's tables live as long as the server process: move everything allocated so
            # far out of the garbage collector's view, so that full collections do not walk it
            # during requests. Process-wide, hence only for a process that serves nothing else.
            gc.collect()
            gc.freeze()
        yield
        app.state.model = None

    app = FastAPI(title="stance", version=_version(), lifespan=lifespan,
                  description="Sentence-level denial / accusation / neutral classification of news text.")
    app.state.model = None
    app.add_exception_handler(RequestValidationError, _validation_error)
    inline_texts = min(max_texts, INLINE_TEXTS)

    def fast_predict(body: bytes) -> bytes | None:
        """The response body for a request that the route would accept and answer inline; else
        ``None`` (the route answers it, errors included)."""
        m = app.state.model
        if m is None:
            return None
        try:
            data = _loads(body)
        except (ValueError, RecursionError):  # the route answers these with its 422
            return None
        if type(data) is not dict or len(data) != 1:
            return None
        texts = data.get("texts")
        if type(texts) is not list or not 0 < len(texts) <= inline_texts:
            return None
        for t in texts:
            if type(t) is not str or len(t) > max_chars or not t.strip():
                return None
        if sum(map(len, texts)) > INLINE_CHARS:  # the route classifies it in the threadpool
            return None
        return _predict_body(m, texts)

    app.add_middleware(_Gateway, max_body=max_body, fast_predict=fast_predict if fast_path else None)
    app.openapi = lambda: _openapi(app, max_texts, max_chars)  # type: ignore[method-assign]

    def current() -> StanceModel:
        m = app.state.model
        if m is None:
            raise HTTPException(status_code=503, detail="model not loaded")
        return m

    def check_text(text: str, *loc: str | int) -> None:
        if not text.strip():
            raise _unprocessable("empty string", *loc)
        if len(text) > max_chars:
            raise _unprocessable(f"text longer than {max_chars} characters", *loc)

    @app.post("/v1/predict", response_model=PredictResponse, summary="Classify statements",
              openapi_extra=_body_schema(PredictRequest), responses=_BODY_ERRORS)
    async def predict(request: Request) -> Response:
        req = _parse(PredictRequest, await request.body())
        if not req.texts:
            raise _unprocessable("must hold at least one text", "texts")
        if len(req.texts) > max_texts:
            raise _unprocessable(f"more than {max_texts} texts in one request", "texts")
        for i, t in enumerate(req.texts):
            check_text(t, "texts", i)
        m = current()

        def work() -> Response:
            return Response(_predict_body(m, req.texts), media_type="application/json")

        inline = len(req.texts) <= INLINE_TEXTS and sum(map(len, req.texts)) <= INLINE_CHARS
        return work() if inline else await run_in_threadpool(work)

    @app.post("/v1/analyze", response_model=AnalyzeResponse, summary="Classify every sentence of a report",
              openapi_extra=_body_schema(AnalyzeRequest), responses=_BODY_ERRORS)
    async def analyze(request: Request) -> Response:
        req = _parse(AnalyzeRequest, await request.body())
        check_text(req.text, "text")
        m = current()

        def work() -> Response:
            return _json({"model": m.info, **m.analyze(req.text).to_dict()})

        return work() if len(req.text) <= INLINE_CHARS else await run_in_threadpool(work)

    @app.get("/v1/model", summary="The model card", responses=_NOT_READY)
    async def model_card() -> dict:
        return current().card

    @app.get("/health", response_model=Health, summary="Liveness and readiness",
             responses={503: {"description": "Not ready: the model is loading", "model": Health}})
    @app.head("/health", include_in_schema=False)  # for monitors that probe with HEAD
    async def health() -> JSONResponse:
        ready = app.state.model is not None
        return JSONResponse({"status": "ok" if ready else "loading", "ready": ready}, status_code=200 if ready else 503)

    return app


async def _validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 for a request that fails validation, the same JSON but ASCII-escaped: an
    error echoes the client's input, which may hold a lone surrogate (valid in JSON, not in
    UTF-8) that FastAPI's own handler cannot encode."""
    detail = jsonable_encoder(exc.errors())  # type: ignore[attr-defined]
    return Response(json.dumps({"detail": detail}, separators=(",", ":")), status_code=422,
                    media_type="application/json")


def _predict_body(model: StanceModel, texts: list[str]) -> bytes:
    """The JSON body of a ``/v1/predict`` response: ``json.dumps`` of ``{"model": model.info,
    "predictions": [p.to_dict(), ...]}``, with each prediction written from a template (its label
    is the first of the fixed labels with the highest score, as in :meth:`StanceModel.predict`, its
    scores finite floats, which ``json`` writes as ``repr``)."""
    d, a, n = LABELS
    items = ", ".join([f'{{"label": "{LABELS[r.index(max(r))]}", "scores": {{"{d}": {r[0]!r}, "{a}": {r[1]!r}, '
                       f'"{n}": {r[2]!r}}}}}' for r in model.rows(texts)])
    return f'{{"model": {_info_json(**model.info)}, "predictions": [{items}]}}'.encode()


@functools.lru_cache(maxsize=8)
def _info_json(name: str, version: str, sha256: str) -> str:
    return json.dumps({"name": name, "version": version, "sha256": sha256})


def _json(payload: dict) -> Response:
    """Serialise a response built from the package's ``to_dict()`` shapes. Returning a Response
    skips FastAPI's re-validation against the response model, which is there for the docs and
    would only check what these shapes already guarantee."""
    return Response(json.dumps(payload), media_type="application/json")  # ASCII-escaped: lone surrogates too


def _version() -> str:
    from stance import __version__
    return __version__


def app_from_env() -> FastAPI:
    """App factory for worker processes: settings come from ``STANCE_*`` environment variables."""
    import os

    return create_app(os.environ.get("STANCE_MODEL") or None,
                      max_texts=int(os.environ.get("STANCE_MAX_TEXTS", MAX_TEXTS)),
                      max_chars=int(os.environ.get("STANCE_MAX_CHARS", MAX_CHARS)),
                      max_body=int(os.environ.get("STANCE_MAX_BODY", MAX_BODY)), freeze_gc=True)


def _listening_socket(host: str, port: int) -> Any:
    """A TCP listening socket made with ``IPPROTO_TCP`` and ``TCP_NODELAY``.

    Sockets uvicorn binds for ``--workers`` have protocol 0, so asyncio never sets TCP_NODELAY
    on accepted connections and each keep-alive response waits for a delayed ACK (~40 ms).
    Accepted sockets inherit this socket's protocol (and, on Linux, its TCP_NODELAY).
    """
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(model_path: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1, max_texts: int = MAX_TEXTS, max_chars: int = MAX_CHARS, max_body: int = MAX_BODY) -> None:
    """Verify and load the model, bind the port, then serve with uvicorn (blocks until stopped).

    A missing or refused model, or a port that cannot be bound, raises :class:`StanceError`
    before anything is served.
    """
    import os

    import uvicorn

    model = StanceModel.load(model_path)  # refuse a missing or tampered model before binding a port
    try:
        sock = _listening_socket(host, port)
    except OSError as exc:
        raise StanceError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    print(f"stance serve: model {model.info['name']} {model.info['sha256'][:12]} on http://{host}:{port}"
          f" ({workers} worker{'s' if workers > 1 else ''})", file=sys.stderr)
    if workers <= 1:
        app = create_app(model=model, max_texts=max_texts, max_chars=max_chars, max_body=max_body, freeze_gc=True)
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        uvicorn.Server(config).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    os.environ.update({"STANCE_MAX_TEXTS": str(max_texts), "STANCE_MAX_CHARS": str(max_chars),
                       "STANCE_MAX_BODY": str(max_body)})
    if model_path:
        os.environ["STANCE_MODEL"] = str(Path(model_path).resolve())
    config = uvicorn.Config("stance.api:app_from_env", factory=True, host=host, port=port, workers=workers,
                            log_level="warning", access_log=False)
    Multiprocess(config, sockets=[sock]).run()
