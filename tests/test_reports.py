"""The report reader: manifest, checksums, lines, sections, tables and lists."""

from __future__ import annotations

import pytest

from sensekg.loaders.errors import InputError
from sensekg.loaders.reports import Document, ReportSpec, locate_reports, read_corpus


def test_reads_every_report_of_the_manifest(reports_dir):
    corpus = read_corpus(reports_dir)
    assert corpus.ids == [
        "prospectus-2021-business", "sustainability-report-2024",
        "annual-results-2024", "interim-results-2025h1",
    ]
    # Line numbers are what `sed -n Np` prints: 1-based, every line kept.
    # The file has 1498 newlines and no final one, so `sed -n 1499p` prints its last line.
    assert len(corpus["annual-results-2024"]) == 1499
    assert corpus["prospectus-2021-business"].line(1788).startswith("On October 9, 2019, one of our subsidiaries")


def test_line_out_of_range_names_the_file(reports_dir):
    document = read_corpus(reports_dir)["interim-results-2025h1"]
    with pytest.raises(InputError, match=r"interim-results-2025h1.txt: line 5000 is out of range"):
        document.line(5000)


def test_section_paths_skip_running_page_headers(reports_dir):
    corpus = read_corpus(reports_dir)
    prospectus = corpus["prospectus-2021-business"]
    assert prospectus.section(1854) == ("LICENSES, APPROVALS AND PERMITS",)
    assert prospectus.section(1738) == ("SALES AND MARKETING", "QUALITY CONTROL")
    sustainability = corpus["sustainability-report-2024"]
    # the chapter title is split over two markdown lines; the numbered section and the plain
    # subhead (the conversion lost their markup) are read from the contents page and the text
    assert sustainability.section(1725) == ("Green Operation Empowered by AI Technology",
                                            "5.3 Practicing Low-Carbon Operations",
                                            "Conducting Energy-Saving Renovation for Buildings")
    # The interim report has no markdown headings; upper-case lines stand alone instead.
    assert corpus["interim-results-2025h1"].section(25) == ("KEY HIGHLIGHTS", "Financial Summary")


def test_tables_keep_their_line_numbers_and_clean_cells(reports_dir):
    annual = read_corpus(reports_dir)["annual-results-2024"]
    table = annual.table_at(203)
    assert table is not None
    revenue = next(row for row in table.rows if row.cells and row.cells[0] == "Generative AI")
    assert revenue.line == 203
    assert revenue.cells[:3] == ("Generative AI", "2,404.0", "63.7")


def test_html_list_items_are_read(reports_dir):
    sustainability = read_corpus(reports_dir)["sustainability-report-2024"]
    items = [item for item in sustainability.list_items if item.line == 186]
    assert any(item.text == "· China OSS Promotion Union" for item in items)


def test_checksum_mismatch_names_the_file(reports_copy):
    path = reports_copy / "annual-results-2024.txt"
    path.write_text(path.read_text(encoding="utf-8") + "tampered\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"annual-results-2024.txt: checksum differs"):
        read_corpus(reports_copy)


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\nstill fine\nbroken \xff here\n")
    spec = ReportSpec("bad", "bad.txt", "t", "k", "i", sha256="0" * 64)
    from sensekg.loaders.reports import read_document

    with pytest.raises(InputError) as caught:
        read_document(tmp_path, spec, verify=False)
    assert caught.value.line == 3 and "not valid UTF-8" in str(caught.value)


def test_reports_folder_resolution_order(tmp_path, monkeypatch, reports_dir):
    monkeypatch.setenv("SENSEKG_REPORTS", str(reports_dir))
    assert locate_reports() == reports_dir
    with pytest.raises(InputError, match="--reports"):
        locate_reports(tmp_path / "nowhere")
    monkeypatch.setenv("SENSEKG_REPORTS", str(tmp_path))
    with pytest.raises(InputError, match="SENSEKG_REPORTS"):
        locate_reports()


def test_document_without_final_newline_keeps_last_line(tmp_path):
    (tmp_path / "r.txt").write_text("a\nb", encoding="utf-8")
    spec = ReportSpec("r", "r.txt", "t", "k", "i", sha256="0" * 64)
    from sensekg.loaders.reports import read_document

    document: Document = read_document(tmp_path, spec, verify=False)
    assert document.lines == ["a", "b"]
