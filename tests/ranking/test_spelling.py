def test_a_misspelled_word_is_named_as_typed_with_the_word_the_papers_use(sample_index):
    assert sample_index.unknown_words("Transfomer models for difusion") == {
        "Transfomer": "transformer",
        "difusion": "diffusion",
    }


def test_a_word_no_paper_uses_and_nothing_resembles_has_no_suggestion(sample_index):
    # "visuomotor" is a real word the sample's papers happen not to use.
    assert sample_index.unknown_words("visuomotor policies") == {"visuomotor": None}


def test_words_the_papers_use_in_any_form_are_not_unknown(sample_index):
    assert sample_index.unknown_words("speech recognition, LLMs, quantisation, of the") == {}
