"""HTTP API: ``create_app(model_path)`` builds a FastAPI app that loads the model once at start-up."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

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


def _unprocessable(field: str, message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["body", *field.split(".")], "msg": message,
                                                   "type": "value_error"}])


class _Limits:
    """Pure ASGI middleware: 415 for non-JSON POST bodies, 413 for bodies over ``max_body`` bytes."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype != b"application/json":
            await _send_json(send, 415, {"detail": "Content-Type must be application/json"})
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _send_json(send, 413, {"detail": f"request body over {self.max_body} bytes"})
            return
        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _send_json(send, 413, {"detail": f"request body over {self.max_body} bytes"})


class _BodyTooLarge(Exception):
    pass


async def _send_json(send: Any, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def create_app(model_path: str | Path | None = None, *, max_texts: int = 1000, max_chars: int = 20000,
               max_body: int = 10_000_000, model: StanceModel | None = None) -> FastAPI:
    """Build the app. The model at ``model_path`` is loaded (and verified) at start-up; pass a
    loaded ``model`` instead to skip loading (tests, notebooks)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.model = model if model is not None else StanceModel.load(model_path)
        yield
        app.state.model = None

    app = FastAPI(title="stance", version=_version(), lifespan=lifespan,
                  description="Sentence-level denial / accusation / neutral classification of news text.")
    app.state.model = None
    app.add_middleware(_Limits, max_body=max_body)

    def current() -> StanceModel:
        m = app.state.model
        if m is None:
            raise HTTPException(status_code=503, detail="model not loaded")
        return m

    def check_text(field: str, text: str) -> None:
        if not text.strip():
            raise _unprocessable(field, "empty string")
        if len(text) > max_chars:
            raise _unprocessable(field, f"text longer than {max_chars} characters")

    @app.post("/v1/predict", response_model=PredictResponse, summary="Classify statements")
    async def predict(req: PredictRequest) -> Response:
        if not req.texts:
            raise _unprocessable("texts", "must hold at least one text")
        if len(req.texts) > max_texts:
            raise _unprocessable("texts", f"more than {max_texts} texts in one request")
        for i, t in enumerate(req.texts):
            check_text(f"texts.{i}", t)
        m = current()
        return _json({"model": m.info, "predictions": [p.to_dict() for p in m.predict(req.texts)]})

    @app.post("/v1/analyze", response_model=AnalyzeResponse, summary="Classify every sentence of a report")
    async def analyze(req: AnalyzeRequest) -> Response:
        check_text("text", req.text)
        m = current()
        return _json({"model": m.info, **m.analyze(req.text).to_dict()})

    @app.get("/v1/model", summary="The model card")
    async def model_card() -> dict:
        return current().card

    @app.get("/health", response_model=Health, summary="Liveness and readiness")
    async def health() -> JSONResponse:
        ready = app.state.model is not None
        return JSONResponse({"status": "ok" if ready else "loading", "ready": ready}, status_code=200 if ready else 503)

    return app


def _json(payload: dict) -> Response:
    """Serialise a response built from the package's ``to_dict()`` shapes. Returning a Response
    skips FastAPI's re-validation against the response model, which is there for the docs and
    would only check what these shapes already guarantee."""
    return Response(json.dumps(payload, ensure_ascii=False), media_type="application/json")


def _version() -> str:
    from stance import __version__
    return __version__


def app_from_env() -> FastAPI:
    """App factory for worker processes: settings come from ``STANCE_*`` environment variables."""
    import os

    return create_app(os.environ.get("STANCE_MODEL") or None,
                      max_texts=int(os.environ.get("STANCE_MAX_TEXTS", 1000)),
                      max_chars=int(os.environ.get("STANCE_MAX_CHARS", 20000)),
                      max_body=int(os.environ.get("STANCE_MAX_BODY", 10_000_000)))


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
          workers: int = 1, max_texts: int = 1000, max_chars: int = 20000, max_body: int = 10_000_000) -> None:
    """Verify and load the model, then serve the app with uvicorn (blocks until stopped)."""
    import os

    import uvicorn

    model = StanceModel.load(model_path)  # refuse a missing or tampered model before binding a port
    print(f"stance serve: model {model.info['name']} {model.info['sha256'][:12]} on http://{host}:{port}"
          f" ({workers} worker{'s' if workers > 1 else ''})", file=sys.stderr)
    if workers <= 1:
        app = create_app(model=model, max_texts=max_texts, max_chars=max_chars, max_body=max_body)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        return
    from uvicorn.supervisors import Multiprocess

    os.environ.update({"STANCE_MAX_TEXTS": str(max_texts), "STANCE_MAX_CHARS": str(max_chars),
                       "STANCE_MAX_BODY": str(max_body)})
    if model_path:
        os.environ["STANCE_MODEL"] = str(Path(model_path).resolve())
    config = uvicorn.Config("stance.api:app_from_env", factory=True, host=host, port=port, workers=workers,
                            log_level="warning", access_log=False)
    sock = _listening_socket(host, port)
    Multiprocess(config, sockets=[sock]).run()
