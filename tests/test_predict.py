import pytest

from stance.labels import LABELS


def test_analyze_keeps_offsets_and_counts(tiny_model):
    report = "Moscow denied the report.  Police accused the driver of fleeing.\n\nThe talks ended."
    a = tiny_model.analyze(report)
    assert [s.text for s in a.sentences] == ["Moscow denied the report.", "Police accused the driver of fleeing.",
                                             "The talks ended."]
    for s in a.sentences:
        assert report[s.start:s.end] == s.text
    assert sum(a.counts.values()) == 3 and set(a.counts) == set(LABELS)
    d = a.to_dict()
    assert len(d["summary"]["denials"]) == a.counts["denial"]
    assert len(d["summary"]["accusations"]) == a.counts["accusation"]


def test_predict_rejects_a_bare_string(tiny_model):
    with pytest.raises(TypeError, match="list"):
        tiny_model.predict("one statement")


@pytest.mark.parametrize("texts, message", [(b"They denied it.", "not a bytes"), ({"They denied it.": 1}, "not a dict"),
                                            ({"They denied it."}, "no order"), (["ok", None], r"texts\[1\] is NoneType")])
def test_predict_rejects_what_has_no_ordered_strings(tiny_model, texts, message):
    with pytest.raises(TypeError, match=message):
        tiny_model.predict(texts)


def test_predict_takes_any_ordered_iterable(tiny_model):
    import numpy as np
    import pandas as pd
    texts = ["They denied it.", "Police blamed the driver."]
    want = tiny_model.predict(texts)
    assert tiny_model.predict(tuple(texts)) == want and tiny_model.predict(np.array(texts)) == want
    assert tiny_model.predict(pd.Series(texts)) == want and tiny_model.predict(t for t in texts) == want


def test_predictions_are_hashable_and_equal_by_value(tiny_model):
    a, b = tiny_model.predict(["They denied it.", "They denied it."])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    sentences = tiny_model.analyze("They denied it. Police blamed the driver.").sentences
    assert len(set(sentences)) == 2


def test_predict_empty_list(tiny_model):
    assert tiny_model.predict([]) == []


def test_to_dict_shapes(tiny_model):
    (p,) = tiny_model.predict(["x"])
    assert set(p.to_dict()) == {"label", "scores"} and list(p.to_dict()["scores"]) == list(LABELS)
