"""One spelling per mailbox, so that variants of an address are one subscriber and one
rate-limit key (email-validator does the parsing and the IDNA conversion)."""

from email_validator import EmailNotValidError, validate_email


def canonical_email(address: str) -> str:
    """``address`` without quotes that change nothing, its domain lower-case and in ASCII
    (IDNA) form: ``"reader"@Bücher.example`` -> ``reader@xn--bcher-kva.example``.

    Raises ``EmailNotValidError`` for what is not an address.
    """
    parsed = validate_email(address.strip(), check_deliverability=False, allow_quoted_local=True)
    return parsed.ascii_email or parsed.normalized


def email_key(address: str) -> str:
    """What two spellings of one mailbox have in common (the local part's case is ignored,
    as mail providers do); for input that is not an address, that input, trimmed and lower."""
    try:
        return canonical_email(address).lower()
    except EmailNotValidError:
        return address.strip().lower()


def mask_email(address: str) -> str:
    """The address as a page shows it to whoever holds a link: ``r•••@example.org``."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"
