from .conftest import rank, titles


def test_it_drops_papers_about_an_excluded_topic(index):
    ranked = titles(rank(index, [("latent diffusion", False), ("video", True)]))

    assert "Text-to-video generation with latent diffusion" not in ranked


def test_it_keeps_papers_that_only_mention_the_excluded_word(index):
    ranked = titles(rank(index, [("latent diffusion", False), ("video", True)]))

    assert ranked[0] == "Scalable diffusion models for image generation"


def test_without_the_exclusion_the_video_paper_is_recommended(index):
    ranked = titles(rank(index, [("latent diffusion", False)]))

    assert "Text-to-video generation with latent diffusion" in ranked
