"""HTTP API: every endpoint and every bad input in-process, plus one real `stance serve`."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from stance.api import create_app
from stance.errors import ModelError
from stance.labels import LABELS


@pytest.fixture()
def client(tiny_model_path):
    app = create_app(tiny_model_path, max_texts=5, max_chars=200, max_body=5000)
    with TestClient(app) as c:
        yield c


def test_predict_in_input_order(client, tiny_model):
    texts = ["They denied the report.", "Police blamed the driver.", "A bridge opened."]
    r = client.post("/v1/predict", json={"texts": texts})
    assert r.status_code == 200
    body = r.json()
    assert body["model"]["sha256"] == tiny_model.card["model_sha256"]
    assert [p["label"] for p in body["predictions"]] == tiny_model.predict_labels(texts)
    assert all(list(p["scores"]) == list(LABELS) for p in body["predictions"])


def test_predict_body_is_json_dumps_of_the_python_shapes(tiny_model):
    from stance.api import _predict_body
    texts = ["They denied the report.", "\u201cWe never did,\u201d she said.", "A bridge opened.", "x"]
    expected = {"model": tiny_model.info, "predictions": [p.to_dict() for p in tiny_model.predict(texts)]}
    assert _predict_body(tiny_model, texts) == json.dumps(expected).encode()


def test_same_json_as_the_python_api(client, tiny_model):
    r = client.post("/v1/predict", json={"texts": ["They denied it."]})
    assert r.json()["predictions"][0] == tiny_model.predict(["They denied it."])[0].to_dict()


def test_analyze(client):
    text = "Moscow denied the report. Police accused the driver."
    r = client.post("/v1/analyze", json={"text": text})
    assert r.status_code == 200
    body = r.json()
    assert [text[s["start"]:s["end"]] for s in body["sentences"]] == [s["text"] for s in body["sentences"]]
    assert sum(body["summary"]["counts"].values()) == 2


def test_model_and_health(client, tiny_model):
    assert client.get("/v1/model").json()["model_sha256"] == tiny_model.card["model_sha256"]
    assert client.get("/health").json() == {"status": "ok", "ready": True}
    assert client.get("/openapi.json").json()["paths"]["/v1/predict"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("body, where", [
    ({"texts": []}, ["body", "texts"]),
    ({"texts": ["ok", 3]}, ["body", "texts", 1]),
    ({"texts": ["ok", "  "]}, ["body", "texts", 1]),
    ({"texts": ["x"] * 6}, ["body", "texts"]),
    ({"texts": ["y" * 201]}, ["body", "texts", 0]),
    ({"text": ["not", "a", "string"]}, ["body", "texts"]),
    ({"texts": "a string, not a list"}, ["body", "texts"]),
])
def test_bad_predict_input_is_422_naming_the_field(client, body, where):
    r = client.post("/v1/predict", json=body)
    assert r.status_code == 422
    assert any(d["loc"][:len(where)] == where for d in r.json()["detail"]), r.json()


def test_bad_analyze_input(client):
    assert client.post("/v1/analyze", json={"text": ""}).status_code == 422
    assert client.post("/v1/analyze", json={"text": 5}).status_code == 422
    assert client.post("/v1/analyze", json={}).status_code == 422


def test_body_too_large_is_413(client):
    r = client.post("/v1/predict", content=b'{"texts": ["' + b"a" * 6000 + b'"]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_chunked_body_too_large_is_413(client):
    def chunks():
        yield b'{"texts": ["'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"]}'

    r = client.post("/v1/predict", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_chunked_body_within_limit_is_served(client):
    def chunks():
        yield b'{"texts": ["They denied '
        yield b'the report."]}'

    r = client.post("/v1/predict", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["predictions"][0]["label"] in LABELS


def test_lone_surrogate_is_answered(client):
    for path, body in [("/v1/analyze", b'{"text": "Moscow denied \\ud800 the report."}'),
                       ("/v1/predict", b'{"texts": ["Moscow denied \\ud800 the report."]}')]:
        r = client.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text


def test_json_with_a_byte_order_mark_or_in_utf16_is_read(client):
    body = '{"texts": ["Moscow denied the report."]}'
    for raw in (b"\xef\xbb\xbf" + body.encode(), body.encode("utf-16")):
        r = client.post("/v1/predict", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 200 and r.json()["predictions"][0]["label"] in LABELS, r.text


def test_deeply_nested_json_is_422_not_500(tiny_model_path):
    nested = b"[" * 100_000 + b"]" * 100_000  # deeper than the interpreter's stack: a RecursionError
    with TestClient(create_app(tiny_model_path), raise_server_exceptions=False) as c:
        for path, key in (("/v1/predict", b"texts"), ("/v1/analyze", b"text")):
            r = c.post(path, content=b'{"' + key + b'": ' + nested + b"}", headers={"content-type": "application/json"})
            assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid", r.text


@pytest.mark.parametrize("body", [
    b'{"texts": [NaN]}', b'{"texts": [Infinity]}', b'{"text": -Infinity}', b'{"texts": [1e400]}',
    b'{"texts": [' + b"1" * 5000 + b"]}",  # an integer over the interpreter's 4,300-digit limit
    b'{"texts": "\\ud800"}', b'{"texts": ["a"], "\\udc00": 1}',  # lone surrogates echoed in the error
])
def test_inputs_that_cannot_be_echoed_back_are_422_not_500(tiny_model_path, body):
    with TestClient(create_app(tiny_model_path), raise_server_exceptions=False) as c:
        for path in ("/v1/predict", "/v1/analyze"):
            r = c.post(path, content=body, headers={"content-type": "application/json"})
            assert r.status_code == 422 and r.json()["detail"], (path, r.text)


FAST_AND_ROUTE_BODIES = [
    b'{"texts": ["They denied the report."]}',
    '{"texts": ["\u201cWe never sold arms,\u201d the minister said.", "Police blamed the driver."]}'.encode(),
    b'{"texts": ["Moscow denied \\ud800 the report."]}',
    '{"texts": ["Ünïcödé dénïal — rejected!"]}'.encode("utf-16"),
    b"\xef\xbb\xbf" + b'{"texts": ["A bridge opened."]}',
    b'{"texts": ["ok", "  "]}', b'{"texts": []}', b'{"texts": ["x", 3]}', b'{"texts": "x"}', b'[]', b'',
    b'{"texts": ["x"], "model": "m"}', b'{"texts": ["' + b"y" * 201 + b'"]}', b'{"texts": ["x"]' ,
    b'{"texts": ["x", "x", "x", "x", "x", "x"]}', b'{"texts": ["a", "b", "c", "d", "e"]}',
]


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("body", FAST_AND_ROUTE_BODIES)
def test_the_hot_path_answers_exactly_as_the_route(tiny_model_path, body, chunked):
    """A /v1/predict request gets the same status, headers and bytes whether the gateway's hot
    path answers it or FastAPI's route does (the hot path hands on whatever it does not accept),
    with a Content-Length or chunked."""
    answers = []
    for fast in (True, False):
        app = create_app(tiny_model_path, max_texts=5, max_chars=200, max_body=5000, fast_path=fast)
        with TestClient(app) as c:
            content = iter([body[:7], body[7:]]) if chunked else body
            r = c.post("/v1/predict", content=content, headers={"content-type": "application/json"})
        answers.append((r.status_code, [(k, v) for k, v in r.headers.items() if k not in ("date", "server")], r.content))
    assert answers[0] == answers[1]
    assert answers[0][0] in (200, 422)


def test_the_hot_path_takes_valid_requests_only(tiny_model_path):
    app = create_app(tiny_model_path, max_texts=5, max_chars=200)
    (fast,) = [m.kwargs["fast_predict"] for m in app.user_middleware if "fast_predict" in m.kwargs]
    assert fast(b'{"texts": ["x"]}') is None  # no model loaded yet: the route answers 503
    with TestClient(app):
        assert b'"predictions"' in fast(b'{"texts": ["They denied it.", "A bridge opened."]}')
        for body in FAST_AND_ROUTE_BODIES[5:-1]:  # the invalid ones
            assert fast(body) is None, body


def test_validation_errors_have_fastapis_shape(client):
    r = client.post("/v1/predict", content=b'{"texts": [1', headers={"content-type": "application/json"})
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["type"] == "json_invalid" and err["loc"] == ["body", 12]
    r = client.post("/v1/predict", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"] == "Field required"
    err = client.post("/v1/predict", json={"texts": ["ok", 3]}).json()["detail"][0]
    assert err["loc"] == ["body", "texts", 1] and err["input"] == 3 and err["type"] == "string_type"


def test_openapi_names_the_request_and_error_schemas(client):
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/v1/predict"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PredictRequest"}
    assert post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/HTTPValidationError")
    schemas = doc["components"]["schemas"]
    assert {"PredictRequest", "AnalyzeRequest", "PredictResponse", "HTTPValidationError", "ValidationError"} <= set(schemas)
    assert schemas["PredictRequest"]["properties"]["texts"]["type"] == "array"


def test_large_batches_are_answered_in_input_order(tiny_model_path, tiny_model):
    texts = [f"Statement number {i} was denied by the ministry." for i in range(40)]
    with TestClient(create_app(tiny_model_path)) as c:
        r = c.post("/v1/predict", json={"texts": texts})
    assert [p["label"] for p in r.json()["predictions"]] == tiny_model.predict_labels(texts)


def test_wrong_content_type_is_415(client):
    r = client.post("/v1/predict", content="texts=hello", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415


@pytest.mark.parametrize("first, status", [("text/plain", 415), ("application/json", 200)])
def test_a_repeated_content_type_is_read_as_starlette_reads_it(client, first, status):
    other = "application/json" if first == "text/plain" else "text/plain"
    r = client.post("/v1/predict", content=json.dumps({"texts": ["They denied it."]}).encode(),
                    headers=[("content-type", first), ("content-type", other)])
    assert r.status_code == status


def test_only_the_body_routes_check_the_body(client):
    assert client.post("/v1/nothing", content=b"x", headers={"content-type": "text/plain"}).status_code == 404
    assert client.post("/v1/model", content=b"x", headers={"content-type": "text/plain"}).status_code == 405
    r = client.head("/health")
    assert r.status_code == 200 and r.content == b""


def test_openapi_states_the_limits_and_every_error_status(client):
    doc = client.get("/openapi.json").json()
    texts = doc["components"]["schemas"]["PredictRequest"]["properties"]["texts"]
    assert texts["minItems"] == 1 and texts["maxItems"] == 5 and texts["items"]["maxLength"] == 200
    assert doc["components"]["schemas"]["AnalyzeRequest"]["properties"]["text"]["maxLength"] == 200
    for path in ("/v1/predict", "/v1/analyze"):
        assert {"200", "413", "415", "422", "503"} <= set(doc["paths"][path]["post"]["responses"])


def test_an_integer_too_long_is_a_short_422(client):
    r = client.post("/v1/predict", content=b'{"texts": ["ok"], "n": ' + b"1" * 4400 + b"}",
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["ctx"]["error"] == "integer too long"


def test_malformed_json_is_4xx(client):
    r = client.post("/v1/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_model_path_is_not_a_request_field(client):
    r = client.post("/v1/predict", json={"texts": ["x"], "model": "/etc/passwd"})
    assert r.status_code == 422


def test_missing_model_stops_start_up(tmp_path):
    app = create_app(tmp_path / "none.joblib")
    with pytest.raises(ModelError, match="not found"):
        with TestClient(app):
            pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stance_exe() -> list[str]:
    exe = Path(sys.executable).parent / "stance"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "stance.cli"]


def test_real_server_in_a_subprocess(tiny_model_path):
    port = _free_port()
    proc = subprocess.Popen([*_stance_exe(), "serve", "--model", str(tiny_model_path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        r = httpx2.post(f"{url}/v1/predict", json={"texts": ["They denied it."]}, timeout=10)
        assert r.status_code == 200 and r.json()["predictions"][0]["label"] in LABELS
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode in (0, -15)


def test_serve_refuses_a_missing_model(tmp_path):
    out = subprocess.run([*_stance_exe(), "serve", "--model", str(tmp_path / "none.joblib"), "--port",
                          str(_free_port())], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "not found" in out.stderr


def test_app_leaves_the_garbage_collector_alone_unless_asked(tiny_model):
    import gc
    before = gc.get_freeze_count()
    with TestClient(create_app(model=tiny_model)) as c:
        assert c.get("/health").status_code == 200
    assert gc.get_freeze_count() == before


def test_loads_reads_bodies_as_json_loads_does():
    from stance.api import _loads
    bodies = [b'{"texts": ["a"]}', '\ufeff{"texts": ["\u00e9"]}'.encode("utf-8"), '{"texts": ["x"]}'.encode("utf-16"),
              '{"texts": ["x"]}'.encode("utf-32"), b'{"texts": ["\\ud800"]}', b'[1, 2.5, -3e2, null, true]']
    assert [_loads(b) for b in bodies] == [json.loads(b) for b in bodies]
    for bad in (b'{"x": NaN}', b'{"x": 1e999}', b'{"x": ', b'\xff\xfe\xff'):
        with pytest.raises(ValueError):
            _loads(bad)
