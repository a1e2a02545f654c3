"""Bearer tokens for the HTTP server: created once and shown once, kept as hashes, revocable.

The rule: once the base records a token, active or revoked, every HTTP request needs a valid
one, on loopback too. Revoking the last token therefore never reopens a server (a reverse
proxy may forward anyone to loopback); only purging the revoked records does, on purpose.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rekall.core.errors import ConflictError, NotFoundError, ValidationError
from rekall.storage.tokens_repo import TokenRecord

if TYPE_CHECKING:
    from rekall.storage.contract import Store

PREFIX = "rk_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def token_hash(token: str) -> str:
    """SHA-256 of a token: 256 random bits need no slow hash to resist guessing."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenOperations:
    """Create, list, revoke and check tokens."""

    def __init__(self, db: Store, clock: Callable[[], str]) -> None:
        self.db = db
        self.clock = clock

    def create(self, name: str, read_only: bool = False) -> tuple[TokenRecord, str]:
        """A new token and its secret, which is never stored; a revoked token's name may be
        reused. Raises ValidationError for a bad name, ConflictError when an active token has
        the name."""
        if not NAME.match(name):
            raise ValidationError(
                f"'{name}' is not a token name; use 1-64 letters, digits, '.', '_', '@' or '-' "
                "(it names the author of the entries written with it)"
            )
        import secrets  # only here: token creation is rare, and the CLI starts without it

        secret = PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.write() as (conn, _):
            if not self.db.repos.tokens.add_token(conn, name, token_hash(secret), read_only, now):
                raise ConflictError(
                    f"an active token is named '{name}'; revoke it first "
                    f"('rekall token revoke {name}') to replace it, or pick another name"
                )
        return TokenRecord(name, read_only, now, None), secret

    def list(self) -> list[TokenRecord]:
        """Every token, revoked ones included."""
        with self.db.read() as conn:
            return self.db.repos.tokens.list_tokens(conn)

    def revoke(self, name: str) -> None:
        """Revoke a token at once. Raises NotFoundError when no active token has the name."""
        with self.db.write() as (conn, _):
            if not self.db.repos.tokens.revoke_token(conn, name, self.clock()):
                raise NotFoundError(
                    f"no active token named '{name}'; 'rekall token list' shows them"
                )

    def check(self, secret: str) -> TokenRecord | None:
        """The active token a secret belongs to, or None."""
        with self.db.read() as conn:
            return self.db.repos.tokens.find_token(conn, token_hash(secret.strip()))

    def any_active(self) -> bool:
        """True when at least one token is not revoked: a client can then get in."""
        with self.db.read() as conn:
            return self.db.repos.tokens.count_active(conn) > 0

    def required(self) -> bool:
        """True when the base records any token, revoked ones too: the HTTP server then
        requires a valid token on every request, whatever address it serves."""
        with self.db.read() as conn:
            return self.db.repos.tokens.count_tokens(conn) > 0

    def purge(self) -> int:
        """Delete the records of revoked tokens; how many there were. With no active token
        left, a loopback HTTP server started afterwards is open to this machine again."""
        with self.db.write() as (conn, _):
            return self.db.repos.tokens.purge_revoked(conn)
