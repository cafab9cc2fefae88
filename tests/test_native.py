"""The optional C extension ``stance._score`` computes what the Python code computes: each of its
functions is compared with the Python (or scikit-learn) definition on corpus sentences and on
random mixtures of the characters where the definitions have edges (capitals, apostrophes,
accents, odd spaces, digits of other scripts, lone surrogates)."""

from __future__ import annotations

import os
import random
import struct

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, TINY


@pytest.fixture(scope="module")
def native():
    from stance.predict import _native_scorer
    scorer = _native_scorer()
    if scorer is None:
        if os.environ.get("STANCE_REQUIRE_NATIVE"):  # set by .ci/run: there, a failed build is a failure
            pytest.fail("the C extension stance._score was not built")
        pytest.skip("the optional C extension stance._score is not built here")
    return scorer


EDGES = ["I", "I'm", "I\u2019d", "NATO", "NATO's", "Kim", "Jong", "McDonald", "\u00c9lys\u00e9e", "\u00c9LYS\u00c9E",
         "A", "AB", "ABc", "\u00d7", "\u00de", "\u00df", "said ", ", ", ": ", ") ", "\u201c", "\u201d", "\"", "'", "\u2019",
         "\u2018", "-", "\u2014", "(", "?", "!", ";", "1,000.5", "2019", "\u0660\u0661", "\u00b2", "_", "\u00a0", "\t",
         "\n", "\v", "\x1c", "\u2009", "\u3000", "\u0301", "\u0130", "\u4e2d\u6587", "\ud800", "\U0001f600", " ", " ",
         " ", ".", "denied", "Denied", "DENIED", "don't", "don\u2019t", "rock'n'roll", "the report", "as false",
         "blamed", "for", "accused", "of", "never", "we", "x9", "9x"]


def mixtures(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = " ".join(t for _, t, _ in TINY).split()
    pool = EDGES + words
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 25))) for _ in range(n)]


def corpus_texts() -> list[str]:
    return pd.read_csv(ROOT / "data" / "sentences.csv")["text"].tolist()


def test_mask_replaces_names_and_numbers_as_the_regexes_do(native):
    from stance import features as F
    texts = corpus_texts() + mixtures(20000, 0)
    differ = [t for t in texts if native.mask(t) != F._NUMBER.sub("xnum", F._NAME.sub("xname", t))]
    assert differ == []
    assert native.mask("Officials said Kim Jong Un sold 1,000.5 shells, NATO said.") == \
        "Officials said xname sold xnum shells, NATO said."


def test_re2_bytes_maps_every_code_point_as_python_does(native):
    from stance import features as F
    chars = "".join(map(chr, range(0x110000)))
    for i in range(0, len(chars), 4096):
        block = chars[i:i + 4096]
        assert native.re2_bytes(block) == F._re2_bytes_python(block), hex(i)


def test_the_re2_set_gives_the_same_matches_with_either_mapping(monkeypatch, native):
    """scope_grams and its hot-path twin agree, with the C or the Python RE2 input."""
    from stance import features as F
    texts = corpus_texts()[::5] + mixtures(3000, 1)
    with_c = [F.scope_grams(t, vote=True) for t in texts]
    # the same as the cached matches that scoped_cues and lexicon_vote read
    assert with_c == [["S:" + n for n in F.scoped_cues(t)] + ["L:" + F.lexicon_vote(t)] for t in texts]
    assert [F.scope_grams_function(vote=False)(t) for t in texts] == [g[:-1] for g in with_c]
    monkeypatch.setattr(F, "_re2_bytes", lambda: F._re2_bytes_python)
    F.scope_grams_function.cache_clear()  # its functions hold the C mapping
    assert [F.scope_grams(t, vote=True) for t in texts] == with_c
    assert [F.scope_grams_function(vote=True)(t) for t in texts] == with_c
    F.scope_grams_function.cache_clear()


@pytest.mark.parametrize("params, kinds", [
    ({}, ["words_in_c", "cue_tags_in_c"]),
    ({"names": True}, ["words_in_c", "cue_tags_in_c"]),
    ({"vote": False}, ["words_in_c", "cue_tags_in_c"]),
    ({"char": True}, ["words_in_c", "grams_in_python", "cue_tags_in_c"]),
    ({"word_ngram_max": 3}, ["words_in_c", "cue_tags_in_c"]),
    ({"counts": True}, ["words_in_c", "cue_tags_in_c"]),
], ids=["default", "names kept", "no vote", "char n-grams", "word trigrams", "dense counts"])
def test_native_inference_equals_the_pipeline(tiny_frame, native, params, kinds):
    """Each kind of piece the C extension scores (default word tokens with the C name mask or
    scikit-learn's preprocessor, cue tags with and without the vote, any other analyzer's grams)
    gives predict_proba's numbers, and the Python sums' numbers."""
    from stance.model import build_pipeline
    from stance.predict import _Compiled
    texts = tiny_frame["text"].tolist()
    pipeline = build_pipeline(min_df=1, **params).fit(texts, tiny_frame["label"])
    compiled, python = _Compiled(pipeline, native=True), _Compiled(pipeline, native=False)
    assert compiled.scorer is native and python.scorer is None
    assert [sums.__name__ for sums, _ in compiled.native] == kinds
    # only a dense piece is left for Python
    assert [piece[0] for piece in compiled.pieces] == (["dense"] if "counts" in params else [])
    probe = texts + mixtures(1500, 2) + [" ".join(texts) * 20, "denied " * 500, ""]
    reference = pipeline.predict_proba(probe)
    np.testing.assert_allclose(compiled.predict_proba(probe), reference, rtol=0, atol=1e-12)
    np.testing.assert_allclose(python.predict_proba(probe), reference, rtol=0, atol=1e-12)


def test_the_c_functions_refuse_bad_arguments(native):
    weights = struct.pack("8d", *range(8))
    with pytest.raises(TypeError, match="terms must be str"):
        native.build(["alpha", 1], weights)
    with pytest.raises(ValueError, match="duplicate term"):
        native.build(["alpha", "alpha"], weights)
    with pytest.raises(ValueError, match="4 doubles per term"):
        native.build(["alpha"], weights)
    with pytest.raises(UnicodeEncodeError):  # a term no text can hold: the Python sums are used instead
        native.build(["alpha", "\ud800"], weights)
    table = native.build(["alpha", "beta"], weights)
    with pytest.raises(TypeError, match="grams must be str"):
        native.score(table, ["alpha", 3], True, False)
    assert native.score(table, ["alpha", "\ud800", "beta", "beta"], False, False) == \
        (0 + 2 * 4.0, 1 + 2 * 5.0, 2 + 2 * 6.0, 3 + 4 * 7.0)
    with pytest.raises(TypeError, match=r"\(str, int\) pairs"):
        native.tagger([("deny",)], [], ["DENY"])
    with pytest.raises(ValueError, match="under 16 bytes"):
        native.tagger([("deny", 1)], [], ["A_VERY_LONG_GROUP_NAME"])
    with pytest.raises(ValueError, match="too many cue groups"):
        native.tagger([], [], [f"G{i}" for i in range(32)])
    with pytest.raises(ValueError, match="not in the names"):  # a group bit with no name
        native.tagger([("deny", 2)], [], ["DENY"])
    with pytest.raises(ValueError, match="must not be empty"):  # Python's startswith("") matches every token
        native.tagger([], [("", 1)], ["DENY"])
    with pytest.raises(ValueError, match="capital letters"):  # "," would be taken for a clause mark
        native.tagger([("deny", 1)], [], [","])
    # n-gram sizes beyond the text's tokens cost nothing (and cannot overflow)
    assert native.score_words(table, "alpha beta", 2**31 - 1, False, False) == (4.0, 6.0, 8.0, 10.0)
    with pytest.raises(ValueError):  # a capsule of the wrong kind
        native.score_cues(table, table, "text", [], True, False)
