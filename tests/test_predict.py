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


def test_predict_empty_list(tiny_model):
    assert tiny_model.predict([]) == []


def test_to_dict_shapes(tiny_model):
    (p,) = tiny_model.predict(["x"])
    assert set(p.to_dict()) == {"label", "scores"} and list(p.to_dict()["scores"]) == list(LABELS)
