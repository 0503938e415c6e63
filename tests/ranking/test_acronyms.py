from digest.ranking import PaperIndex, mine_acronyms

from .conftest import rank, titles

DEFINES = "Streaming ASR on phones"
LONG_ONLY = "Automatic speech recognition for meetings"
SPEECH_ONLY = "Speech synthesis with flow matching"
PAPERS = [
    (DEFINES, "Automatic speech recognition (ASR) with small transducers on phones."),
    (LONG_ONLY, "We transcribe meetings with an automatic speech recognition system."),
    (SPEECH_ONLY, "We synthesize speech from text with flow matching."),
    ("Graph neural networks for molecules", "Graph neural networks (GNNs) predict properties."),
]


def test_acronyms_are_learned_from_the_papers_that_define_them():
    acronyms = mine_acronyms(
        [
            "We use automatic speech recognition (ASR) and graph neural networks (GNNs).",
            "Large Language Models (LLMs) are (in part) trained on the web (see [3]).",
        ]
    )

    assert acronyms == {
        "asr": "automatic speech recognition",
        "gnn": "graph neural networks",
        "llm": "large language models",
    }


def test_an_acronym_interest_matches_papers_that_only_write_the_long_form():
    index = PaperIndex.fit(*zip(*PAPERS, strict=True))

    for interest in ("ASR", "asr"):
        assert set(titles(rank(index, [(interest, False)]))) == {DEFINES, LONG_ONLY}


def test_a_word_undefined_as_an_acronym_is_not_expanded():
    index = PaperIndex.fit(*zip(*PAPERS, strict=True))

    assert rank(index, [("TTS", False)]) == []


def test_an_acronym_keeps_the_long_form_most_papers_mean_however_they_spell_it():
    acronyms = mine_acronyms(
        [
            *["Spiking neural networks (SNNs) save energy."] * 2,
            *["A spiking neural network (SNN) on chip."] * 2,
            *["A siamese neural network (SNN) compares pairs."] * 3,
        ]
    )

    assert acronyms["snn"] in ("spiking neural networks", "spiking neural network")
