"""What every paper source produces: ``PaperRecord``s, merged into Papers by ``papers_upsert``."""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from pylatexenc.latex2text import LatexNodes2Text

# The limits of the Paper columns (digest.models declares its fields with these). A record
# is checked against them before any insert: PostgreSQL refuses a longer value and so the
# whole page, SQLite would store it.
EXTERNAL_ID_MAX_LENGTH = 64
CATEGORY_MAX_LENGTH = 32
URL_MAX_LENGTH = 300
VERSION_MAX = 32767  # PositiveSmallIntegerField
COUNT_MAX = 2**31 - 1  # PositiveIntegerField
TITLE_MAX_LENGTH = 1_000
ABSTRACT_MAX_LENGTH = 10_000
AUTHOR_MAX_LENGTH = 300
"""Longer texts are no paper's (arXiv: titles of at most about 300 characters, abstracts
of 1,920): a record holding one is refused, as its text would cost every index build
(one 2,000,000-character abstract made the build ask for 254 GiB)."""
AUTHORS_KEPT = 100
"""Names kept of a paper's authors (``authors_count`` keeps their number): a byline shows
a few, and a collaboration's paper lists thousands."""
CATEGORIES_KEPT = 20

# Characters no title or name may carry: control characters (PostgreSQL refuses a text
# with NUL, and so the whole page) and the bidirectional overrides that reorder a line.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_web_url = URLValidator(schemes=["http", "https"])


class SourceError(Exception):
    """A source gave something we cannot use (HTTP error, malformed payload, timeout)."""


def is_web_url(value) -> bool:
    """True only for an absolute http(s) URL: the only kind of link a paper may carry into a
    page or an email (``javascript:`` or ``data:`` would run there)."""
    if not isinstance(value, str):
        return False
    try:
        _web_url(value)
    except ValidationError:
        return False
    return True


def arxiv_links(external_id: str) -> tuple[str, str]:
    """The abstract page and the PDF (latest version) of an arXiv paper."""
    return f"https://arxiv.org/abs/{external_id}", f"https://arxiv.org/pdf/{external_id}"


@dataclass
class PaperRecord:
    """One paper as a source gives it; ``ValueError`` when no Paper could hold it.

    Every source catches that error per item, so one bad item is reported and the rest load.
    """

    title: str
    abstract: str = ""
    external_id: str = ""
    version: int = 1
    authors: list[str] = field(default_factory=list)
    authors_count: int | None = None
    categories: list[str] = field(default_factory=list)
    primary_category: str = ""
    published: date | None = None
    updated: date | None = None
    abs_url: str = ""
    pdf_url: str = ""
    upvotes: int | None = None

    def __post_init__(self):
        self.title = readable(_INVISIBLE.sub("", self.title))
        self.abstract = readable(_INVISIBLE.sub("", self.abstract))
        if self.authors_count is None and len(self.authors) > AUTHORS_KEPT:
            self.authors_count = len(self.authors)
        self.authors = [_INVISIBLE.sub("", a) for a in self.authors[:AUTHORS_KEPT]]
        self.categories = [_INVISIBLE.sub("", c) for c in self.categories[:CATEGORIES_KEPT]]
        self.external_id = _INVISIBLE.sub("", self.external_id)
        self.primary_category = _INVISIBLE.sub("", self.primary_category)
        for name, text, most in (
            ("title", self.title, TITLE_MAX_LENGTH),
            ("abstract", self.abstract, ABSTRACT_MAX_LENGTH),
            ("an author's name", max(self.authors, key=len, default=""), AUTHOR_MAX_LENGTH),
            ("a category", max(self.categories, key=len, default=""), CATEGORY_MAX_LENGTH),
        ):
            if len(text) > most:
                raise ValueError(f"{name} is longer than {most:,} characters")
        for name, label in (("abs_url", "'url'"), ("pdf_url", "'pdf_url'")):
            url = getattr(self, name)
            if url == "":
                continue
            if isinstance(url, str) and len(url) > URL_MAX_LENGTH:
                raise ValueError(f"{label} is longer than {URL_MAX_LENGTH} characters")
            if not is_web_url(url) or _INVISIBLE.search(url):
                raise ValueError(f"{label} is not an http(s) URL: {url!r:.80}")
        if len(self.external_id) > EXTERNAL_ID_MAX_LENGTH:
            raise ValueError(f"'id' is longer than {EXTERNAL_ID_MAX_LENGTH} characters")
        if len(self.primary_category) > CATEGORY_MAX_LENGTH:
            raise ValueError(f"the first category is longer than {CATEGORY_MAX_LENGTH} characters")
        if not 1 <= self.version <= VERSION_MAX:
            raise ValueError(f"version {self.version} is not between 1 and {VERSION_MAX}")
        for name in ("authors_count", "upvotes"):
            if (getattr(self, name) or 0) > COUNT_MAX:
                raise ValueError(f"'{name}' is larger than {COUNT_MAX}")


@dataclass
class Page:
    """One response of a source, written in one transaction.

    ``cursor`` marks how far the page reached (an ISO date or timestamp, so the greatest
    is the newest); the next run stops there. ``skipped`` explains entries left out.
    """

    records: list[PaperRecord]
    cursor: str = ""
    skipped: list[str] = field(default_factory=list)


_ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v(\d+))?", re.IGNORECASE)


def arxiv_id(text: str) -> tuple[str, int]:
    """``("2511.01234", 2)`` from an arXiv id or URL such as ``http://arxiv.org/abs/2511.01234v2``.

    Raises ``ValueError`` when there is no arXiv id in ``text``; the version is 1 when absent.
    """
    match = _ARXIV_ID.search(text.rsplit("/abs/", 1)[-1].removeprefix("oai:arXiv.org:"))
    if match is None:
        raise ValueError(f"no arXiv id in {text!r}")
    return match[1], int(match[2] or 1)


def clean(text: str | None) -> str:
    """Text with runs of whitespace (line breaks inside titles and abstracts) made one space."""
    return " ".join((text or "").split())


def normalize_title(title: str) -> str:
    """The de-duplication key of a paper without an external id (also the judgments' key):
    lower-cased, runs of whitespace made one space, ends stripped."""
    return re.sub(r"\s+", " ", title.lower()).strip()


# TeX in titles and abstracts (arXiv's are written in it): math between single dollars, as
# pandoc reads it (no space inside either dollar, no digit after the closing one, so "costs
# $10 and $20" is no math), escaped characters, emphasis and the text-mode TeX of names.
_MATH = re.compile(r"(?<![\\$])\$(?=[^\s$])((?:[^$\\\n]|\\.){1,300}?)(?<=[^\s\\])\$(?!\d)")
MATH_CHARS = 2000
"""Characters of math spans read as Unicode in one text; the spans past them stay TeX. An
arXiv abstract has at most 1,920 characters in all. Reading is the costly part: 13 ms for a
span of 300 unbalanced braces (100 such spans took 1.3 s), and 16,000 spans of "$x^2$"
took 1.2 s; within this bound these texts take 0.13 s and 0.10 s."""
_SCRIPT = re.compile(r"([_^])(?:\{([0-9]+)\}|([0-9]))")
_DIGITS = {
    "_": str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"),
    "^": str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
}
_SPACED_MACRO = re.compile(r"(\\[A-Za-z]+) (?=\w)")
_ESCAPED = re.compile(r"\\([%&_#$])")
_EMPHASIS = re.compile(r"\\(?:emph|textit|textbf|texttt|textsc)\{([^{}\\]*)\}")
_QUOTED = re.compile(r"``((?:[^`'\n]|'(?!')){1,300})''")
_GREEK = (
    "alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|"
    "xi|pi|rho|sigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Pi|Sigma|"
    "Upsilon|Phi|Psi|Omega"
)
_LETTERS = "ss|o|O|ae|AE|aa|AA|l|L"  # ß ø Ø æ Æ å Å ł Ł
_ACCENTED = (
    r"(?:['\"`^~=.](?:\{\\?[A-Za-z]\}|\\i(?:\{\}| (?=[A-Za-z])|(?![A-Za-z]))|[A-Za-z])"
    r"|[cHvuk]\{\\?[A-Za-z]\})"
)
_TEXT_MACRO = re.compile(
    rf"\{{\\(?:{_ACCENTED}|(?:{_GREEK}|{_LETTERS})(?![A-Za-z]))\}}"  # {\'e} {\delta}
    rf"|\\{_ACCENTED}"  # \'e \"{u} \H{o} \'{\i}
    rf"|\\(?:{_GREEK})(?![A-Za-z])"  # \alpha
    rf"|\\(?:{_LETTERS})\{{\}}"  # \o{}
    r"|\\text(?:em|en)dash(?:\{\}| )?"  # a control word takes the space after it
)
"""TeX outside math that reads as a letter or a mark: accents ("Fr\\'echet", "Erd\\H{o}s"),
Greek letters ("PIXART-{\\delta}"), special letters ("{\\o}") and "\\textemdash". Author macros
("\\method") and anything else stay as written."""
_URL = re.compile(r"\\url\{([^{}\s]{1,300})\}")


@cache
def _latex() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text")


def _math(match: re.Match) -> str:
    """A TeX math span as Unicode: "$\\mathcal{O}(n^2)$" as "𝒪(n²)", "$\\ell_1$" as "ℓ₁"."""
    tex = _SCRIPT.sub(lambda m: (m[2] or m[3]).translate(_DIGITS[m[1]]), match[1])
    tex = _SPACED_MACRO.sub(r"\1{} ", tex)  # "\log n" reads "log n", not "logn"
    try:
        text = _latex().latex_to_text(tex).strip()
    except Exception:  # pylatexenc is tolerant, but a paper must never fail on its math
        return match[0]
    # Nothing read, or a macro missing its arguments ("\\frac" alone reads "%s/%s"): as written.
    return text if text and ("%s" not in text or "%s" in tex) else match[0]


@lru_cache(maxsize=4096)
def _text_macro(tex: str) -> str:
    """One ``_TEXT_MACRO`` as it reads ("\\'e" as "é"). The distinct ones are few: every
    accent on every letter in each way of writing it (1,612) read in 0.22 s and then 0.7 ms;
    20,000 of one in a text, 6 ms."""
    return _latex().latex_to_text(tex)


def readable(text: str) -> str:
    """``text`` with its TeX written as it reads: math spans in Unicode ("$\\infty$-Bench" as
    "∞-Bench", "$\\text{H}_2\\text{O}$" as "H₂O"), "\\%" as "%", "\\emph{not}" as "not",
    "``quoted''" in curly quotes, accents, Greek letters and "\\textemdash" outside math
    ("Fr\\'echet" as "Fréchet", "PIXART-{\\delta}" as "PIXART-δ"), "\\url{...}" as its address.
    Anything else, a lone "$" or "%" or an author's own macro ("\\method") included, is left as
    it is."""
    if "$" not in text and "\\" not in text and "``" not in text:
        return text
    left = MATH_CHARS

    def read_within_bound(match: re.Match) -> str:
        nonlocal left
        left -= len(match[0])
        return _math(match) if left >= 0 else match[0]

    text = _EMPHASIS.sub(r"\1", _MATH.sub(read_within_bound, text))
    text = _URL.sub(r"\1", _TEXT_MACRO.sub(lambda match: _text_macro(match[0]), text))
    return _ESCAPED.sub(r"\1", _QUOTED.sub("\u201c\\1\u201d", text))
