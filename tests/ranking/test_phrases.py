from digest.ranking import PaperIndex

from .conftest import PAPERS, rank, titles

OTHER_TITLES, OTHER_ABSTRACTS = zip(*PAPERS[:5], strict=True)


def test_it_ranks_papers_with_all_words_of_a_phrase_above_papers_with_some(index):
    ranked = rank(index, [("language models", False)])

    assert ranked[0][0] == "Low-rank adaptation of large language models"
    assert all(score < ranked[0][1] / 4 for _, score, _ in ranked[1:])


def test_a_phrase_whose_informative_word_no_paper_uses_matches_nothing(index):
    assert titles(rank(index, [("molecules", False)])) == ["Graph neural networks for molecules"]
    assert rank(index, [("enzymatic molecules", False)]) == []


def test_it_matches_a_hyphenated_compound_as_a_whole_not_by_its_generic_word():
    index = PaperIndex.fit(
        zip(
            [
                "Detecting out-of-distribution inputs",
                "The distribution of attention weights",
                "Graph neural networks for molecules",
            ],
            [
                "A detector flags out-of-distribution samples at test time.",
                "We study the distribution of attention weights and how this distribution "
                "changes during training; the distribution is heavy-tailed.",
                "Message passing networks predict molecular properties.",
            ],
            strict=True,
        )
    )

    ranked = rank(index, [("out-of-distribution", False)])

    assert ranked[0][0] == "Detecting out-of-distribution inputs"
    assert ranked[0][2][0] == "out-of-distribution"
    assert all(score < ranked[0][1] / 4 for _, score, _ in ranked[1:])


def test_it_matches_a_word_written_with_or_without_a_hyphen_and_not_its_pieces_alone():
    index = PaperIndex.fit(
        zip(
            [
                "Efficient pre-training of language models",
                "Pretraining vision transformers on small datasets",
                "Training graph networks for molecules",
            ],
            [
                "We cut the cost of pre-training with a curriculum.",
                "Pretraining on small datasets works with strong augmentation.",
                "Message passing networks predict molecular properties after training.",
            ],
            strict=True,
        )
    )

    for interest in ("pretraining", "pre-training"):
        assert set(titles(rank(index, [(interest, False)]))) == {
            "Efficient pre-training of language models",
            "Pretraining vision transformers on small datasets",
        }


def test_a_phrase_matches_only_a_paper_that_holds_it_within_one_sentence():
    index = PaperIndex.fit(
        zip(
            [
                "Surface codes for quantum error correction",
                "Self-correcting reasoning chains",
                "Error correction for scanned text",
                *OTHER_TITLES,
            ],
            [
                "Decoders for quantum error correction with surface codes.",
                "A model finds the error in a chain of thought and writes a correction. We test "
                "it on questions from quantum mechanics.",
                "A language model finds each error in scanned text and proposes a correction.",
                *OTHER_ABSTRACTS,
            ],
            strict=True,
        )
    )

    ranked = rank(index, [("quantum error correction", False)])

    assert titles(ranked) == ["Surface codes for quantum error correction"]


def test_a_word_made_with_ize_matches_its_forms_in_either_spelling_not_its_base():
    index = PaperIndex.fit(
        zip(
            [
                "Layer normalization for deep networks",
                "Normalized gradients for stable training",
                "Layer normalisation, revisited",
                "A normalised loss for noisy labels",
                "Normal forms of neural networks",
            ],
            [
                "We normalize activations within each layer.",
                "Gradients are normalized before each update.",
                "Normalisation of activations speeds training.",
                "The loss is normalised by the number of labels.",
                "Every network has an equivalent normal form.",
            ],
            strict=True,
        )
    )

    american = set(titles(rank(index, [("normalization", False)])))
    british = set(titles(rank(index, [("normalisation", False)])))

    assert british == american
    assert american == {
        "Layer normalization for deep networks",
        "Normalized gradients for stable training",
        "Layer normalisation, revisited",
        "A normalised loss for noisy labels",
    }


def test_a_british_spelling_meets_the_american_only_where_the_papers_write_it():
    papers = [
        ("Post-training quantization of vision transformers", "We quantize weights to 4 bits."),
        ("Quantised attention on device", "A quantisation scheme for attention maps."),
        ("Supervised pretraining at scale", "Labels come from weak supervision."),
        ("Self-supervision for speech", "Supervision comes from the audio itself."),
        ("Dialog state tracking", "We track the state of a task-oriented dialog."),
        ("Dialogue agents that ask", "An agent asks questions in a dialogue."),
    ]
    index = PaperIndex.fit(papers)

    quantized = titles(rank(index, [("quantisation", False)]))
    supervised = titles(rank(index, [("supervised", False)]))
    dialog = titles(rank(index, [("dialog", False)]))

    assert set(quantized) == {papers[0][0], papers[1][0]}
    assert set(dialog) == {papers[4][0], papers[5][0]}
    # No paper writes "supervized": "supervised" keeps its stem, shared with "supervision".
    assert set(supervised) == {papers[2][0], papers[3][0]}


def test_a_paper_whose_abstract_opens_with_the_phrase_ranks_above_one_that_mentions_it_in_passing():
    opens_with_it = "Faster decoding with shallow layers"
    papers = [
        (
            opens_with_it,
            "We study machine translation with a deep encoder and a shallow decoder. The "
            "decoder runs in one layer and keeps quality on ten language pairs.",
        ),
        (
            "Sparse attention for long documents",
            "We make attention sparse for long inputs. It speeds up summarization, question "
            "answering and machine translation; on machine translation it keeps quality.",
        ),
        ("Image captions from scratch", "We caption images with a small decoder."),
    ]
    index = PaperIndex.fit(papers)

    assert titles(rank(index, [("machine translation", False)]))[0] == opens_with_it


def test_an_adjective_in_ular_matches_its_noun_where_the_papers_write_both():
    papers = [
        ("Generative models for molecular design", "We generate molecular graphs with flows."),
        ("Molecule generation with language models", "A language model writes molecules."),
        ("Regular languages and transformers", "Transformers recognize regular languages."),
        ("Gene regulation networks", "We model the regulation of genes."),
    ]
    index = PaperIndex.fit(papers)

    assert set(titles(rank(index, [("molecular generation", False)]))) == {
        papers[0][0],
        papers[1][0],
    }
    assert titles(rank(index, [("regular languages", False)])) == [papers[2][0]]


def test_a_phrase_matches_the_same_papers_however_its_reader_hyphenates_it():
    papers = [
        ("LLM agents in the wild", "LLM agents browse the web for their users."),
        ("Agents that plan", "We build agents that plan tasks with tools."),
        ("Robust detectors", "Detectors fail on out-of-distribution inputs."),
        ("Label distribution learning", "We learn the distribution of labels per image."),
        ("Models on device", "We run small models on-device."),
        ("LLM quantization", "We quantize an LLM to four bits."),
        ("Tools for LLMs", "LLMs call tools."),
    ]
    index = PaperIndex.fit(papers)

    # The papers never write "LLM-agents": its words are read as separate words are.
    for interest in ("LLM-agents", "LLM agents"):
        assert set(titles(rank(index, [(interest, False)]))) == {papers[0][0], papers[1][0]}
    # "out of distribution" would be only "distribution": read as the papers' compound.
    assert titles(rank(index, [("out of distribution", False)])) == ["Robust detectors"]
    assert titles(rank(index, [("on device", False)])) == ["Models on device"]


def test_accented_and_ligature_spellings_meet_their_plain_ones():
    papers = [
        ("Poincaré embeddings for hierarchies", "Hyperbolic space embeds trees."),
        ("Hyperbolic graph networks", "Poincare ball models of graphs."),
        ("Parameter-efficient ﬁne-tuning", "We ﬁne-tune adapters only."),
        ("Fine-tuning language models", "Full fine-tuning of every weight."),
    ]
    index = PaperIndex.fit(papers)

    poincare = {*titles(rank(index, [("Poincare", False)]))}
    accented = {*titles(rank(index, [("Poincaré", False)]))}
    fine_tuning = {*titles(rank(index, [("fine-tuning", False)]))}

    assert poincare == accented == {papers[0][0], papers[1][0]}
    assert fine_tuning == {papers[2][0], papers[3][0]}
