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


def test_it_drops_a_paper_whose_title_names_the_excluded_topic(sample_index):
    # "Global Vision Transformer Pruning with Hessian-Aware Saliency" is about pruning,
    # though its abstract's words are mostly about vision transformers.
    interests = [("vision transformers", False), ("pruning", True)]
    ranked = titles(rank(sample_index, interests, limit=50))

    assert ranked
    assert not [title for title in ranked if "pruning" in title.lower()]
