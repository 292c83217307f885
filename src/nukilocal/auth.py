"""The three ways a Bridge HTTP API request proves it knows the token.

Pure functions: the client builds query parameters with :func:`auth_params`,
the bridge stand-in checks them with :class:`TokenVerifier`. Time and
randomness are parameters so both sides can be tested exactly.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from .const import TOKEN_VALIDITY_SECONDS, TokenMode

_TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NONCE_BYTES = SecretBox.NONCE_SIZE


class Token:
    """An API token that never shows itself in ``repr``, ``str`` or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Token('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Token):
            return secrets.compare_digest(self._value, other._value)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Token", self._value))


def format_auth_time(now: datetime) -> str:
    return now.astimezone(UTC).strftime(_TS_FORMAT)


def hashed_token_hash(token: str, ts: str, rnr: int) -> str:
    return hashlib.sha256(f"{ts},{rnr},{token}".encode()).hexdigest()


def _key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def encrypt_token(token: str, ts: str, rnr: int, nonce: bytes) -> str:
    """``ctoken``: secretbox(MAC first, then ciphertext) of ``"ts,rnr"``."""
    box = SecretBox(_key(token))
    return bytes(box.encrypt(f"{ts},{rnr}".encode(), nonce).ciphertext).hex()


def auth_params(
    token: Token | str,
    mode: TokenMode,
    *,
    now: datetime | None = None,
    rnr: int | None = None,
    nonce: bytes | None = None,
) -> dict[str, str]:
    """Query parameters that authenticate one request."""
    secret = token.reveal() if isinstance(token, Token) else token
    if mode is TokenMode.PLAIN:
        return {"token": secret}
    ts = format_auth_time(now or datetime.now(UTC))
    number = secrets.randbelow(65536) if rnr is None else rnr
    if mode is TokenMode.HASHED:
        return {"ts": ts, "rnr": str(number), "hash": hashed_token_hash(secret, ts, number)}
    nonce = secrets.token_bytes(NONCE_BYTES) if nonce is None else nonce
    return {"ctoken": encrypt_token(secret, ts, number, nonce), "nonce": nonce.hex()}


class AuthResult:
    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"


@dataclass
class TokenVerifier:
    """Checks request parameters the way a bridge does.

    Hashed and encrypted tokens are valid for 60 s around the bridge's clock and
    only once: a replayed ``ts``/``rnr`` or ``ctoken``/``nonce`` is refused.
    The specification spells the nonce parameter ``nounce``; both are accepted.
    """

    token: str
    validity: timedelta = timedelta(seconds=TOKEN_VALIDITY_SECONDS)
    _seen: dict[str, datetime] = field(default_factory=dict, repr=False)

    def check(self, params: Mapping[str, str], now: datetime) -> str:
        if "token" in params:
            ok = secrets.compare_digest(params["token"].encode(), self.token.encode())
            return AuthResult.OK if ok else AuthResult.INVALID
        if "hash" in params:
            return self._check_hashed(params, now)
        if "ctoken" in params:
            return self._check_encrypted(params, now)
        return AuthResult.MISSING

    def _fresh(self, ts: str, now: datetime) -> bool:
        try:
            sent = datetime.strptime(ts, _TS_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return False
        return abs(now - sent) <= self.validity

    def _first_use(self, key: str, now: datetime) -> bool:
        # Forget what can no longer be replayed anyway.
        horizon = now - 2 * self.validity
        for old in [k for k, at in self._seen.items() if at < horizon]:
            del self._seen[old]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def _check_hashed(self, params: Mapping[str, str], now: datetime) -> str:
        ts, rnr, given = params.get("ts", ""), params.get("rnr", ""), params["hash"]
        try:
            number = int(rnr)
        except ValueError:
            return AuthResult.INVALID
        expected = hashed_token_hash(self.token, ts, number)
        if not secrets.compare_digest(given.lower().encode(), expected.encode()):
            return AuthResult.INVALID
        if not self._fresh(ts, now) or not self._first_use(f"h:{ts},{rnr}", now):
            return AuthResult.INVALID
        return AuthResult.OK

    def _check_encrypted(self, params: Mapping[str, str], now: datetime) -> str:
        nonce_hex = params.get("nonce", params.get("nounce", ""))
        try:
            nonce = bytes.fromhex(nonce_hex)
            ctoken = bytes.fromhex(params["ctoken"])
            plain = SecretBox(_key(self.token)).decrypt(ctoken, nonce).decode()
            ts, rnr = plain.split(",", 1)
            int(rnr)
        except (ValueError, CryptoError, UnicodeDecodeError, TypeError):
            return AuthResult.INVALID
        if not self._fresh(ts, now) or not self._first_use(
            f"e:{params['ctoken']},{nonce_hex}", now
        ):
            return AuthResult.INVALID
        return AuthResult.OK
