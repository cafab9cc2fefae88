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


def test_scoped_cues_tell_senses_apart():
    from stance.features import scoped_cues
    assert "deny_claim" in scoped_cues("Moscow dismissed the reports as baseless.")
    assert "deny_as_false" in scoped_cues("Moscow dismissed the reports as baseless.")
    assert "charged_with" in scoped_cues("He was charged with murder.")
    assert scoped_cues("The phone charged overnight.") == []
    assert "reject_nonclaim" in scoped_cues("The ministry rejected the offer of talks.")
    assert "deny_claim" not in scoped_cues("The ministry rejected the offer of talks.")
    assert "cleared" in scoped_cues("She pleaded not guilty on Monday.")
    assert "refuse" in scoped_cues("The company declined to comment.")
    assert "hedged_wrong" in scoped_cues("The man allegedly stabbed a guard.")


def test_cue_counts_include_scope_features():
    cc = CueCounts().fit(["a"])
    names = list(cc.get_feature_names_out())
    row = np.asarray(cc.transform(["He was charged with fraud."]).todense()).ravel()
    assert row[names.index("scope:charged_with")] == 1.0 and row[names.index("scope:deny_claim")] == 0.0


def test_the_re2_set_matches_what_pythons_re_matches():
    """All cue patterns run as one RE2 set, whose \\w, \\s and \\b know only ASCII; the text is
    mapped first so that it finds exactly the patterns Python's Unicode ``re`` finds: on every
    corpus sentence, a long text, cases where the two engines differ without the mapping, and
    random mixtures of cue words with accented letters, odd spaces and marks."""
    import random
    import re

    import pandas as pd

    from conftest import ROOT
    from stance import features as F
    names = list(F.SCOPE_PATTERNS)
    scoped = [re.compile(p) for p in F.SCOPE_PATTERNS.values()]
    deny, accuse = re.compile(F.LEXICON_DENY), re.compile(F.LEXICON_ACCUSE)

    def by_re(text):
        low = text.replace("\u2019", "'").replace("\u2018", "'").lower()
        vote = "denial" if deny.search(low) else "accusation" if accuse.search(low) else "neutral"
        return [n for n, rx in zip(names, scoped) if rx.search(low)], vote

    texts = pd.read_csv(ROOT / "data" / "sentences.csv")["text"].tolist()
    texts.append(" ".join(texts[::25])[:20000])
    texts += ["The minister denied\u00a0that he was there.", "The minister denied\vthat.", "denied\x1cthat",
              "The ministry denied the Médecins Sans Frontières report.", "It was fakeé news.",
              "Officials said the ñkilled", "x \ud800 denied it", "İ denied the report", "not\u2009true"]
    rng = random.Random(0)
    pool = ["denied", "the", "report", "as", "false", "said", "killed", "accused", "of", "not", "true", "é",
            "\u00a0", "\v", "\x1c", "\u2009", "\u3000", "\u0301", "ñ", "İ", "\u201c", "\u2014", "_", "#", "0", "\t",
            "\n", " ", " ", " ", "-", "'", "\U0001f600", "ß", "\u0660", "\ud800", "i", "we", "never", "blamed", "for"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    differ = [t for t in texts if (F.scoped_cues(t), F.lexicon_vote(t)) != by_re(t)]
    assert differ == []
    assert F.lexicon_vote("They denied it.") == "denial" and F.lexicon_vote("Police blamed him.") == "accusation"


def test_mask_names_hides_names_and_numbers_not_phrasing():
    from stance.features import mask_names
    out = mask_names("Officials said Russia bought 1,000 shells from North Korea, which Pyongyang denied.")
    assert out == "officials said xname bought xnum shells from xname, which xname denied."
    # a sentence-initial word is not taken for a name; accents are stripped
    assert mask_names("Moscow dénied it, said Élodie Roux.") == "moscow denied it, said xname."
    # the pronoun I and words in capitals are not names
    assert mask_names("He said I never sold arms and I'm sure it was FALSE.") == \
        "he said i never sold arms and i'm sure it was false."


def test_word_piece_keeps_masked_numbers_as_a_feature():
    from stance.model import build_pipeline
    words = build_pipeline(min_df=1).named_steps["features"].transformer_list[0][1]
    assert "paid xnum" in words.fit(["We paid 1,000 dollars in 2019."]).vocabulary_


def test_strip_accents_equals_scikit_learns():
    from sklearn.feature_extraction.text import strip_accents_unicode

    from stance.features import strip_accents
    texts = ["plain ascii", "café naïve “quoted”", "Ⅻ ﬁ ½ ñ", "İstanbul", "Ångström", "e\u0301", "\u1e9b\u0323"]
    block = "".join(map(chr, range(0xA0, 0x3000)))  # Latin, Greek, Cyrillic, combining marks, symbols ...
    texts += [block[i:i + 60] for i in range(0, len(block), 60)]
    assert [strip_accents(t) for t in texts] == [strip_accents_unicode(t) for t in texts]


def test_caches_keyed_by_input_stay_bounded_and_keep_caching(monkeypatch):
    from stance import features as F
    monkeypatch.setattr(F, "_CACHE_MAX_SIZE", 10)
    cache = F._BoundedCache(str.upper)
    for i in range(25):
        assert cache[f"tok{i}"] == f"TOK{i}"
    assert cache["x" * 100] == "X" * 100
    assert len(cache) <= 10 and "tok24" in cache and "x" * 100 not in cache
