from stance.text import normalize, split_sentences


def test_offsets_point_into_the_source():
    text = "North Korea denied it.  \n\nUS officials said shells were sold. The talks ended."
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["North Korea denied it.", "US officials said shells were sold.",
                                       "The talks ended."]
    for s in sents:
        assert text[s.start:s.end] == s.text


def test_stray_periods_of_the_seed_report_stay_in_one_sentence():
    text = ("Officials confirmed that Russia was buying millions of shells. artillery and rocket attacks, "
            "as Moscow tries to ease shortages made worse by export controls. and penalties.")
    assert len(split_sentences(text)) == 1


def test_punctuation_only_chunks_are_dropped():
    assert [s.text for s in split_sentences("It was false.\n\n. .")] == ["It was false."]


def test_normalize_folds_case_quotes_and_space():
    assert normalize("  \u201cFake\u201d   NEWS\u2019s ") == "\"fake\" news's"
