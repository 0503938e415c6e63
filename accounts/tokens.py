"""Signed tokens for links in emails: confirm, sign in, settings, unsubscribe, feedback.

A token names the subscriber and the purpose it was made for; a token made for one
purpose is refused for another. Expiry is checked by the reader (``max_age``).
"""

from django.core import signing


class BadToken(Exception):
    """The link is forged, damaged, made for something else, or expired."""


def make_token(subscriber_id: int, purpose: str, **extra) -> str:
    return make_tokens(subscriber_id, purpose, [extra])[0]


def make_tokens(subscriber_id: int, purpose: str, extras: list[dict]) -> list[str]:
    """One token for each of ``extras``, with one signer (what ``signing.dumps`` builds
    anew for each token)."""
    signer = signing.TimestampSigner(salt=f"accounts.{purpose}")
    return [signer.sign_object({"s": subscriber_id, **extra}) for extra in extras]


def read_token(token: str, purpose: str, *, max_age: int | None = None) -> dict:
    """Return the token's payload (``s`` is the subscriber id) or raise BadToken."""
    try:
        payload = signing.loads(token, salt=f"accounts.{purpose}", max_age=max_age)
    except signing.SignatureExpired as e:
        raise BadToken("This link has expired.") from e
    except signing.BadSignature as e:
        raise BadToken("This link is not valid.") from e
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise BadToken("This link is not valid.")
    return payload


NONCE_LIMIT = 2**33
"""A sign-in nonce is a sign-in time in seconds since 1970 (or 0): none reaches 2**33, the
year 2242, and a larger one is no date at all."""


def read_signin_token(token: str, purpose: str, *, max_age: int | None) -> tuple[int, int]:
    """The subscriber id and sign-in nonce of a single-use (confirm or sign-in) link
    (``max_age`` None: of any age, for a link already checked)."""
    payload = read_token(token, purpose, max_age=max_age)
    nonce = payload.get("n")
    if not isinstance(nonce, int) or not 0 <= nonce < NONCE_LIMIT:
        raise BadToken("This link is not valid.")
    return payload["s"], payload["n"]


def read_email_change_token(token: str, *, max_age: int) -> tuple[int, str, str]:
    """The subscriber id, the address the mail moves from and the one it moves to."""
    payload = read_token(token, "email", max_age=max_age)
    old, new = payload.get("o"), payload.get("e")
    if not isinstance(old, str) or not isinstance(new, str):
        raise BadToken("This link is not valid.")
    return payload["s"], old, new
