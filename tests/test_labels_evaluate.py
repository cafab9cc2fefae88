import pytest

from stance.evaluate import score
from stance.labels import LABELS, is_label


def test_labels_fixed_order():
    assert LABELS == ("denial", "accusation", "neutral")
    assert is_label("denial") and not is_label("Denial") and not is_label(None)


def test_score_known_example():
    gold = ["denial", "denial", "accusation", "neutral"]
    pred = ["denial", "neutral", "accusation", "neutral"]
    r = score(gold, pred)
    assert r.accuracy == pytest.approx(0.75)
    assert r.per_label["denial"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert r.per_label["neutral"]["precision"] == pytest.approx(0.5)
    assert r.macro_f1 == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert r.confusion_matrix == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    d = r.to_dict()
    assert set(d) >= {"macro_f1", "accuracy", "per_label", "confusion_matrix", "labels", "n"}
    assert "macro-F1=0.778" in r.to_text()


@pytest.mark.parametrize("gold, predicted, message", [
    (["denial", "Denial"], ["denial", "Denial"], "unknown label"),
    (["denial"], ["denial", "neutral"], "1 gold labels but 2"),
    ([], [], "no labels"),
])
def test_score_refuses_what_it_cannot_score(gold, predicted, message):
    with pytest.raises(ValueError, match=message):
        score(gold, predicted)


def test_score_averages_over_all_three_labels():
    report = score(["denial", "denial"], ["denial", "denial"])
    assert report.accuracy == 1.0 and report.macro_f1 == pytest.approx(1 / 3)
