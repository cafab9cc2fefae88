"""The ceiling for benchmarks/serve.py: a bare FastAPI route that only echoes the request."""

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()


@app.post("/v1/predict")
async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/json")


@app.get("/health")
async def health() -> dict:
    return {"status": "ok", "ready": True}
