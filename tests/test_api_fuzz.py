"""Property tests of the HTTP API: whatever JSON (or bytes) a client sends, the answer is never a
5xx, and the gateway's hot path answers exactly as FastAPI's route does."""

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.api import create_app

PATHS = st.sampled_from(["/v1/predict", "/v1/analyze"])
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-32", "utf-8-sig"])
# leaves include what JSON parsers accept but JSON encoders refuse (NaN, Infinity, lone surrogates)
ODD = st.sampled_from([float("nan"), float("inf"), float("-inf"), "\ud800", "x\udc00", "\u0000", "\u200b"])
TEXT = st.text(max_size=20) | ODD.filter(lambda v: isinstance(v, str))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT | ODD,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)
TEXTS = st.lists(st.text(max_size=60) | TEXT, max_size=8)
BODIES = st.one_of(st.builds(lambda t: {"texts": t}, TEXTS), st.builds(lambda t: {"text": t}, st.text(max_size=200)),
                   st.builds(lambda t, extra: {"texts": t, **extra}, TEXTS, st.dictionaries(TEXT, JSON, max_size=2)),
                   JSON)


@pytest.fixture(scope="module")
def clients(tiny_model_path):
    """The same app with the hot path on and off, started once for the module."""
    fast = TestClient(create_app(tiny_model_path, max_texts=5, max_chars=200, max_body=5000),
                      raise_server_exceptions=False)
    slow = TestClient(create_app(tiny_model_path, max_texts=5, max_chars=200, max_body=5000, fast_path=False),
                      raise_server_exceptions=False)
    with fast, slow:
        yield fast, slow


def _answers(clients, path, body):
    out = []
    for c in clients:
        r = c.post(path, content=body, headers={"content-type": "application/json"})
        out.append((r.status_code, [(k, v) for k, v in r.headers.items() if k not in ("date", "server")], r.content))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(obj=BODIES, path=PATHS, encoding=ENCODINGS, ascii_only=st.booleans())
def test_no_json_body_gets_a_5xx_and_both_paths_agree(clients, obj, path, encoding, ascii_only):
    text = json.dumps(obj, ensure_ascii=ascii_only)
    try:
        body = text.encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate written as itself
        body = text.encode("utf-8", "surrogatepass")
    fast, slow = _answers(clients, path, body)
    assert fast[0] < 500, fast
    assert fast == slow


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=80), path=PATHS)
def test_no_bytes_get_a_5xx(clients, body, path):
    fast, slow = _answers(clients, path, body)
    assert fast[0] < 500 and fast == slow, fast
