import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DataError

from digest.models import IngestRun, Paper

pytestmark = pytest.mark.django_db


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_it_loads_each_sample_paper_once(sample_corpus_path, capsys):
    call_command("ingest_papers", str(sample_corpus_path))
    assert Paper.objects.count() == 275  # 326 listings, 275 unique titles
    assert "326 papers read, 275 new" in capsys.readouterr().out

    call_command("ingest_papers", str(sample_corpus_path))
    assert Paper.objects.count() == 275
    assert "275 new" not in capsys.readouterr().out


def test_it_reports_bad_lines_by_number_and_still_loads_the_good_ones(tmp_path, capsys):
    path = write_lines(
        tmp_path / "papers.jsonl",
        [
            json.dumps({"title": "Good paper one", "abstract": "About speech."}),
            '{"title": "Broken", "abstract": ',
            json.dumps({"abstract": "No title here"}),
            json.dumps({"title": "Good paper two", "abstract": "About vision.", "upvotes": 3}),
            json.dumps({"title": "Bad date", "abstract": "x", "published": "yesterday"}),
        ],
    )
    with pytest.raises(CommandError, match="3 lines"):
        call_command("ingest_papers", str(path))

    err = capsys.readouterr().err
    assert f"{path}:2: skipped: not valid JSON" in err
    assert f"{path}:3: skipped: missing or empty 'title'" in err
    assert f"{path}:5: skipped: 'published' is not a YYYY-MM-DD date" in err
    assert sorted(Paper.objects.values_list("title", flat=True)) == [
        "Good paper one",
        "Good paper two",
    ]
    run = IngestRun.objects.get()
    assert (run.status, run.new, run.failed) == (IngestRun.Status.FAILED, 2, 3)
    assert "line 2" in run.error


def test_it_refuses_a_missing_file_with_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("ingest_papers", str(tmp_path / "nope.jsonl"))
    assert not Paper.objects.exists()


def test_a_value_too_long_for_its_column_is_reported_by_line_and_the_good_lines_load(
    tmp_path, capsys
):
    """PostgreSQL refused the whole file over one long URL; SQLite stored it silently."""
    long_url = "https://example.org/" + "a" * 5000
    path = write_lines(
        tmp_path / "papers.jsonl",
        [
            json.dumps({"title": "Good paper one", "abstract": "About speech."}),
            json.dumps({"title": "Long url", "abstract": "x", "url": long_url}),
            json.dumps({"title": "Long id", "abstract": "x", "id": "2411." + "1" * 80}),
            json.dumps({"title": "Long category", "abstract": "x", "categories": ["c" * 40]}),
            json.dumps({"title": "Many upvotes", "abstract": "x", "upvotes": 2**31}),
            json.dumps({"title": "Good paper two", "abstract": "About vision."}),
        ],
    )

    with pytest.raises(CommandError, match="4 lines"):
        call_command("ingest_papers", str(path))

    err = capsys.readouterr().err
    assert f"{path}:2: skipped: 'url' is longer than 300 characters" in err
    assert f"{path}:3: skipped: 'id' is longer than 64 characters" in err
    assert f"{path}:4: skipped: a category is longer than 32 characters" in err
    assert f"{path}:5: skipped: 'upvotes' is larger than 2147483647" in err
    assert sorted(Paper.objects.values_list("title", flat=True)) == [
        "Good paper one",
        "Good paper two",
    ]


def test_control_characters_are_dropped_and_texts_no_paper_has_are_refused_by_line(
    tmp_path, capsys
):
    """A NUL in one title lost the whole file on PostgreSQL; a 2,000,000-character abstract
    made every later index build ask for 254 GiB."""
    path = write_lines(
        tmp_path / "papers.jsonl",
        [
            json.dumps(
                {
                    "title": "Nul\u0000 paper\u202e",
                    "abstract": "About\u0000 speech.",
                    "id": "nul\u0000-1",
                    "categories": ["cs.\u0000CL"],
                }
            ),
            json.dumps(
                {"title": "Nul url", "abstract": "x", "url": "https://example.org/a\u0000b"}
            ),
            json.dumps({"title": "t" * 1001, "abstract": "x"}),
            json.dumps({"title": "Long abstract", "abstract": "speech " * 2000}),
            json.dumps({"title": "Long name", "abstract": "x", "authors": ["n" * 301]}),
            json.dumps({"title": "Many authors", "abstract": "x", "authors": ["A"] * 3000}),
            json.dumps({"title": "Good paper", "abstract": "About vision."}),
        ],
    )

    with pytest.raises(CommandError, match="4 lines"):
        call_command("ingest_papers", str(path))

    err = capsys.readouterr().err
    assert f"{path}:2: skipped: 'url' is not an http(s) URL" in err
    assert f"{path}:3: skipped: title is longer than 1,000 characters" in err
    assert f"{path}:4: skipped: abstract is longer than 10,000 characters" in err
    assert f"{path}:5: skipped: an author's name is longer than 300 characters" in err
    papers = {p.title: p for p in Paper.objects.all()}
    assert sorted(papers) == ["Good paper", "Many authors", "Nul paper"]
    nul = papers["Nul paper"]
    assert (nul.abstract, nul.external_id, nul.primary_category) == (
        "About speech.",
        "nul-1",
        "cs.CL",
    )
    assert (len(papers["Many authors"].authors), papers["Many authors"].authors_count) == (
        100,
        3000,
    )


def test_an_arxiv_id_with_its_version_merges_with_the_same_paper(tmp_path):
    """ "2611.00010v2" was stored as a second paper beside "2611.00010", linked to a search."""
    path = write_lines(
        tmp_path / "papers.jsonl",
        [
            json.dumps({"id": "2611.00010", "title": "Conformers", "abstract": "Speech."}),
            json.dumps({"id": "arXiv:2611.00010v2", "title": "Conformers", "abstract": "More."}),
            json.dumps({"id": "acl-2024-17", "title": "Another paper", "abstract": "Text."}),
        ],
    )

    call_command("ingest_papers", str(path))

    conformers = Paper.objects.get(title="Conformers")
    assert (conformers.external_id, conformers.version) == ("2611.00010", 2)
    assert conformers.url == "https://arxiv.org/abs/2611.00010"
    assert Paper.objects.get(title="Another paper").external_id == "acl-2024-17"


def test_a_line_that_is_not_utf8_is_reported_alone_and_the_others_load(tmp_path, capsys):
    path = tmp_path / "papers.jsonl"
    path.write_bytes(
        json.dumps({"title": "Good paper one", "abstract": "About speech."}).encode()
        + b'\n{"title": "Latin-1 caf\xe9", "abstract": "x"}\n'
        + json.dumps({"title": "Good paper two", "abstract": "About vision."}).encode()
        + b"\n"
    )

    with pytest.raises(CommandError, match="1 lines"):
        call_command("ingest_papers", str(path))

    assert f"{path}:2: skipped: not UTF-8 text (byte 0xe9 at column 23)" in capsys.readouterr().err
    assert Paper.objects.count() == 2


def test_a_file_the_database_refuses_fails_its_run_with_a_message(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "papers.jsonl", [json.dumps({"title": "A", "abstract": "x"})])

    def refused(**kwargs):
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr("digest.management.commands.ingest_papers.papers_upsert", refused)

    with pytest.raises(CommandError, match="the database refused the papers, none loaded"):
        call_command("ingest_papers", str(path))

    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED and "NUL" in run.error
