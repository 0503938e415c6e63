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
    index = PaperIndex.fit(PAPERS)

    for interest in ("ASR", "asr"):
        assert set(titles(rank(index, [(interest, False)]))) == {DEFINES, LONG_ONLY}


def test_a_word_undefined_as_an_acronym_is_not_expanded():
    index = PaperIndex.fit(PAPERS)

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


def test_an_acronym_in_the_plural_matches_papers_that_write_it_in_the_singular():
    papers = [
        ("LLM agents that use tools", "An LLM agent calls tools to plan tasks."),
        ("Tool use by LLMs", "LLMs learn to call tools from demonstrations."),
        ("Tools for data cleaning", "We clean tabular data with simple tools."),
    ]
    index = PaperIndex.fit(papers)

    for interest in ("LLMs", "LLM"):
        assert set(titles(rank(index, [(interest, False)]))) == {papers[0][0], papers[1][0]}


def test_an_acronym_of_a_hyphenated_long_form_matches_the_compound_not_its_pieces():
    papers = [
        ("Robust detectors", "Detectors fail on out-of-distribution (OOD) inputs."),
        ("Calibration out of domain", "We calibrate classifiers on out-of-distribution data."),
        ("Label distribution learning", "We learn the distribution of labels per image."),
    ]
    index = PaperIndex.fit(papers)

    assert mine_acronyms(["Speech from text-to-speech (TTS) models."]) == {"tts": "text-to-speech"}
    assert set(titles(rank(index, [("OOD", False)]))) == {papers[0][0], papers[1][0]}


def test_an_acronym_with_a_digit_for_a_word_is_learned_and_matches_its_long_form():
    assert mine_acronyms(
        [
            "Text-to-image (T2I) models draw what a prompt says.",
            "Direct speech-to-speech translation (S2ST) skips the text.",
            "Scenes rendered by 3D Gaussian splatting (3DGS) in real time.",
            "Results improve (Table 2) over last year (2023).",
        ]
    ) == {
        "t2i": "text-to-image",
        "s2st": "speech-to-speech translation",
        "3dgs": "3d gaussian splatting",
    }
    papers = [
        ("Fast T2I sampling", "Text-to-image (T2I) diffusion in four steps."),
        ("Prompts for pictures", "A text-to-image model follows long prompts."),
        ("Image captioning", "We describe images with text."),
    ]
    index = PaperIndex.fit(papers)

    assert set(titles(rank(index, [("T2I", False)]))) == {papers[0][0], papers[1][0]}
