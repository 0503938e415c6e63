"""arXiv writes titles and abstracts in TeX; readers get them as text."""

import importlib

import pytest

from digest.models import Paper
from digest.services import ingest_source
from digest.sources.base import MATH_CHARS, readable


def test_a_feed_items_tex_is_stored_as_it_reads(recorded):
    feed = recorded.payload("arxiv_rss_monday.xml").decode()
    feed = feed.replace(
        "Scaling Laws for Data Pruning in Pretraining",
        r"$\infty$-Pruning: Scaling Laws for $\mathcal{O}(n^2)$ Data",
    ).replace(
        "pruning pretraining data helps.",
        r"pruning helps, \emph{not} hurts, at 5\% of the cost for $\ell_1$ and $k$-means.",
    )
    recorded.get(recorded.rss, body=feed, content_type="application/rss+xml")

    assert ingest_source(source="arxiv-rss").status == "ok"

    paper = Paper.objects.get(external_id="2611.16102")
    assert paper.title == "∞-Pruning: Scaling Laws for 𝒪(n²) Data"
    assert paper.abstract.endswith(
        "pruning helps, not hurts, at 5% of the cost for ℓ₁ and k-means."
    )


@pytest.mark.parametrize(
    "tex, text",
    [
        (r"$\text{H}_2\text{O}$: Heavy-Hitter Oracle", "H₂O: Heavy-Hitter Oracle"),
        (r"an $\Omega(n \log n)$ bound, $\alpha=0.5$", "an Ω(n log n) bound, α=0.5"),
        (r"$\mu$P and $k$NN-LM", "μP and kNN-LM"),
        ("a ``quoted'' and ``it's'' phrase", "a \u201cquoted\u201d and \u201cit's\u201d phrase"),
        (r"$x_{10}^{2}$ and $\frac{1}{2}$", "x₁₀² and 1/2"),
        (r"the Fr\'echet Inception Distance", "the Fréchet Inception Distance"),
        (r"Fr\'{e}chet, Fr{\'e}chet, Schr\"odinger", "Fréchet, Fréchet, Schrödinger"),
        (r"Erd\H{o}s-R\'enyi graphs, \c{C}a\u{g}lar", "Erdős-Rényi graphs, Çağlar"),
        (r"na\"{\i}ve and na\"\i ve", "naïve and naïve"),
        (r"PIXART-{\delta} beats PIXART-\alpha ({\Delta}G)", "PIXART-δ beats PIXART-α (ΔG)"),
        (r"Bj{\o}rn's tokens\textemdash discrete units", "Bjørn's tokens—discrete units"),
        (r"Gro\ss{}e and {\AA}ngstr\"om", "Große and Ångström"),
        (r"code at \url{https://github.com/a/b}.", "code at https://github.com/a/b."),
    ],
)
def test_tex_reads_as_text(tex, text):
    assert readable(tex) == text


@pytest.mark.parametrize(
    "text",
    [
        "costs $10 and $20 a month",  # dollars, not math
        "price $5, about 5% of ~10 runs",
        "a lone $ sign",
        "$ spaced$ is no math",
        "plain words",
        r"$\frac$ without its arguments",
        r"our model, \method, beats \model on \eg ImageNet",  # the authors' own macros
        r"a path C:\alphabet and \Deltas",
    ],
)
def test_text_that_is_not_tex_is_left_as_it_is(text):
    assert readable(text) == text


def test_a_text_of_endless_math_reads_only_its_first_spans():
    spans = MATH_CHARS // len("$x^2$")
    read = readable(" ".join(["$x^2$"] * (spans + 50))).split()
    assert read.count("x²") == spans and read.count("$x^2$") == 50


@pytest.mark.django_db
def test_papers_stored_before_read_their_tex_as_text_after_the_migration():
    from django.apps import apps

    migration = importlib.import_module("digest.migrations.0006_papers_tex_read_as_text")
    stored = Paper.objects.create(
        title=r"$\infty$-Bench", abstract=r"Up to 87\% faster, \emph{not} slower."
    )
    plain = Paper.objects.create(title="Plain words", abstract="Costs $10 and $20.")

    migration.papers_read_as_text(apps, None)

    stored.refresh_from_db()
    assert (stored.title, stored.abstract) == ("∞-Bench", "Up to 87% faster, not slower.")
    assert stored.title_key == "∞-bench"
    plain.refresh_from_db()
    assert (plain.title, plain.abstract) == ("Plain words", "Costs $10 and $20.")


@pytest.mark.django_db
def test_papers_stored_before_read_their_accents_and_greek_letters_after_the_migration():
    from django.apps import apps

    migration = importlib.import_module(
        "digest.migrations.0008_papers_tex_outside_math_read_as_text"
    )
    stored = Paper.objects.create(
        title=r"PIXART-{\delta}: Fast Sampling", abstract=r"Lower Fr\'echet distance."
    )

    migration.read_as_text(apps, None)

    stored.refresh_from_db()
    assert (stored.title, stored.abstract) == ("PIXART-δ: Fast Sampling", "Lower Fréchet distance.")
    assert stored.title_key == "pixart-δ: fast sampling"
