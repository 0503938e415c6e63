import pytest

from digest.ranking import interest_parts

from .conftest import rank, titles


def test_a_list_typed_as_one_interest_ranks_as_its_items_typed_apart(sample_index):
    one_line = rank(sample_index, [("speech recognition and image generation", False)])
    apart = rank(sample_index, [("speech recognition", False), ("image generation", False)])

    assert one_line and titles(one_line) == titles(apart)


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("object detection and image segmentation", ["object detection", "image segmentation"]),
        ("survey and review and tutorial", ["survey", "review", "tutorial"]),
        ("knowledge distillation & teacher-student", ["knowledge distillation", "teacher-student"]),
        ("GNNs, graph transformers; PTQ", ["GNNs", "graph transformers", "PTQ"]),
        ("vision and language", ["vision and language"]),
        ("speech recognition and synthesis", ["speech recognition and synthesis"]),
        ("LLMs for mathematics", ["LLMs for mathematics"]),
        (
            "efficient inference of large language models (on edge devices)",
            ["efficient inference", "large language models", "on edge devices"],
        ),
        ("object detection/image segmentation", ["object detection", "image segmentation"]),
        ("pruning/quantization/distillation", ["pruning", "quantization", "distillation"]),
        ("encoder/decoder architectures", ["encoder/decoder architectures"]),
        ("mixture of experts (MoE)", ["mixture of experts", "MoE"]),
        ("object detection | image segmentation", ["object detection", "image segmentation"]),
        ("speech recognition + speech translation", ["speech recognition", "speech translation"]),
    ],
)
def test_a_typed_interest_is_read_as_the_topics_it_lists(typed, read_as):
    assert interest_parts(typed) == read_as


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("papers on object detection", ["object detection"]),
        ("object detection papers", ["object detection"]),
        ("I'm interested in diffusion models", ["diffusion models"]),
        ("new work on speech translation", ["speech translation"]),
        ("recent advances in image generation", ["image generation"]),
        ("I want papers about GNNs, graph transformers", ["GNNs", "graph transformers"]),
        ("research agents", ["research agents"]),
        ("deep research", ["deep research"]),
        ("user study", ["user study"]),
        ("on device ML", ["on device ML"]),
        ("papers", ["papers"]),
    ],
)
def test_the_words_that_ask_for_a_topic_are_not_part_of_it(typed, read_as):
    assert interest_parts(typed) == read_as


@pytest.mark.parametrize(
    "asked",
    [
        "speech recognition papers",
        "papers on speech recognition",
        "I'm interested in speech recognition",
    ],
)
def test_a_reader_who_asks_for_a_topic_gets_what_naming_it_gets(sample_index, asked):
    named = rank(sample_index, [("speech recognition", False)])

    assert named and titles(rank(sample_index, [(asked, False)])) == titles(named)


def test_a_reader_who_describes_their_interest_in_a_sentence_gets_a_digest(sample_index):
    described = "efficient attention for long sequences in large language models"

    assert rank(sample_index, [(described, False)])
