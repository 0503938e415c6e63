"""A small hand-written corpus and helpers to rank it without a database."""

import numpy as np
import pytest

from benchmarks.corpus import load_corpus
from digest.ranking import PaperIndex, Profiles, recommend

PAPERS = [
    (
        "Direct speech-to-speech translation with discrete units",
        "We translate speech from one language into speech in another language without "
        "text, using a speech encoder and a unit vocoder trained on parallel speech.",
    ),
    (
        "Streaming speech recognition with transducers",
        "An end-to-end speech recognition model for streaming audio, with low latency "
        "transcription of spoken utterances.",
    ),
    (
        "Text-to-video generation with latent diffusion",
        "We generate video clips from text prompts; a video diffusion model denoises video "
        "latents frame by frame, keeping video frames temporally consistent.",
    ),
    (
        "Scalable diffusion models for image generation",
        "Latent diffusion models generate high-resolution images from text prompts. We "
        "scale the denoising transformer and the training images, study guidance and "
        "sampling steps, and reach a new state of the art on image benchmarks. Unlike "
        "video generation, image generation needs no temporal layers.",
    ),
    (
        "Object detection with transformers",
        "An end-to-end object detection model that predicts boxes with a transformer "
        "decoder and bipartite matching of detected objects.",
    ),
    (
        "Real-time object detection on mobile devices",
        "A small object detection network that detects objects in real time on phones, "
        "with a light backbone and an anchor-free detection head.",
    ),
    (
        "Low-rank adaptation of large language models",
        "We fine-tune large language models by training low-rank adapter matrices while "
        "the pretrained weights stay frozen.",
    ),
    (
        "Graph neural networks for molecules",
        "Message passing networks predict molecular properties from molecular graphs of "
        "atoms and bonds.",
    ),
]


@pytest.fixture(scope="session")
def sample_index(request):
    """The model of the sample corpus (data/papers.jsonl)."""
    corpus = load_corpus(request.config.rootpath / "data" / "papers.jsonl")
    return PaperIndex.fit(zip(corpus.titles, corpus.abstracts, strict=True))


@pytest.fixture
def index():
    titles, abstracts = zip(*PAPERS, strict=True)
    return PaperIndex.fit(zip(titles, abstracts, strict=True))


def rank(index, interests, *, limit=10, candidates=None, seen=(), feedback=(), **options):
    """Titles recommended to one subscriber with ``interests`` [(phrase, excluded)]."""
    profiles = Profiles.build(
        n_papers=len(index),
        limits=[limit],
        interests=[(0, phrase, 1.0, excluded) for phrase, excluded in interests],
        seen=[(0, row) for row in seen],
        feedback=[(0, row, value, age) for row, value, age in feedback],
    )
    rows = np.arange(len(index)) if candidates is None else candidates
    result = recommend(index, profiles, rows, **options)
    return [(index.titles[row], score, terms) for row, score, terms in result.for_subscriber(0)]


def titles(ranked):
    return [title for title, _, _ in ranked]
