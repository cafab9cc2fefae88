import numpy as np

from stance.features import CueCounts, cue_sequence, cue_tag, tokenize


def test_tokenize_keeps_quotes_and_contractions():
    assert tokenize("We didn\u2019t \u201clie\u201d.") == ["we", "didn't", "\u201c", "lie", "\u201d"]


def test_cue_tags_generalise_across_wordings():
    assert "DENY" in cue_tag("rejected") and "DENY" in cue_tag("dismisses")
    assert "ACCUSE" in cue_tag("blamed") and "FALSE" in cue_tag("hoax")
    assert cue_tag("bridge") == ()


def test_cue_sequence_marks_sentence_start():
    grams = cue_sequence("Moscow denied the report.")
    assert grams[:4] == ["<s>", "DENY", "ATTR+CLAIMN", "</s>"]
    assert "<s> DENY" in grams and "DENY ATTR+CLAIMN </s>" in grams


def test_cue_counts_shape_and_names_agree():
    cc = CueCounts().fit(["a"])
    X = cc.transform(["They denied it.", "Police blamed the driver"])
    assert X.shape == (2, len(cc.get_feature_names_out()))
    names = list(cc.get_feature_names_out())
    row = np.asarray(X[0].todense()).ravel()
    assert row[names.index("cue:DENY")] > 0 and row[names.index("cue:ACCUSE")] == 0
    assert np.asarray(X[1].todense()).ravel()[names.index("cue:no_final_punct")] == 1.0
