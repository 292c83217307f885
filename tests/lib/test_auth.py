"""Token modes, checked on both sides: what the client sends, what a bridge accepts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from nacl.secret import SecretBox

from nukilocal.auth import (
    AuthResult,
    Token,
    TokenVerifier,
    auth_params,
    encrypt_token,
    hashed_token_hash,
)
from nukilocal.const import TokenMode

NOW = datetime(2019, 3, 5, 1, 6, 53, tzinfo=UTC)


def test_hashed_token_matches_the_specification_example() -> None:
    assert hashed_token_hash("123456", "2019-03-05T01:06:53Z", 4711).startswith("f52eb5ce")
    params = auth_params("123456", TokenMode.HASHED, now=NOW, rnr=4711)
    assert params["ts"] == "2019-03-05T01:06:53Z"
    assert params["rnr"] == "4711"
    assert params["hash"].startswith("f52eb5ce")
    assert "token" not in params


def test_encrypted_token_is_secretbox_mac_first() -> None:
    nonce = bytes(range(24))
    ctoken = bytes.fromhex(encrypt_token("123456", "2019-03-05T01:06:53Z", 4711, nonce))
    # MAC (16 bytes) then the 25-byte ciphertext of "2019-03-05T01:06:53Z,4711".
    assert len(ctoken) == 16 + len("2019-03-05T01:06:53Z,4711")
    box = SecretBox(hashlib.sha256(b"123456").digest())
    assert box.decrypt(ctoken, nonce) == b"2019-03-05T01:06:53Z,4711"
    params = auth_params("123456", TokenMode.ENCRYPTED, now=NOW, rnr=4711, nonce=nonce)
    assert params == {"ctoken": ctoken.hex(), "nonce": nonce.hex()}


def test_plain_token_is_only_sent_in_plain_mode() -> None:
    assert auth_params(Token("123456"), TokenMode.PLAIN) == {"token": "123456"}
    for mode in (TokenMode.HASHED, TokenMode.ENCRYPTED):
        assert "123456" not in str(auth_params("123456", mode))


def test_verifier_accepts_each_mode_once() -> None:
    verifier = TokenVerifier("123456")
    for mode in TokenMode:
        params = auth_params("123456", mode, now=NOW)
        assert verifier.check(params, NOW) == AuthResult.OK
        replay = AuthResult.OK if mode is TokenMode.PLAIN else AuthResult.INVALID
        assert verifier.check(params, NOW + timedelta(seconds=1)) == replay


def test_verifier_refuses_stale_future_and_wrong_tokens() -> None:
    verifier = TokenVerifier("123456")
    for mode in (TokenMode.HASHED, TokenMode.ENCRYPTED):
        stale = auth_params("123456", mode, now=NOW - timedelta(seconds=61))
        assert verifier.check(stale, NOW) == AuthResult.INVALID
        future = auth_params("123456", mode, now=NOW + timedelta(seconds=61))
        assert verifier.check(future, NOW) == AuthResult.INVALID
        wrong = auth_params("654321", mode, now=NOW)
        assert verifier.check(wrong, NOW) == AuthResult.INVALID
        edge = auth_params("123456", mode, now=NOW - timedelta(seconds=59))
        assert verifier.check(edge, NOW) == AuthResult.OK
    assert verifier.check({"token": "nope"}, NOW) == AuthResult.INVALID
    assert verifier.check({}, NOW) == AuthResult.MISSING


def test_verifier_accepts_the_specifications_nounce_spelling() -> None:
    verifier = TokenVerifier("123456")
    params = auth_params("123456", TokenMode.ENCRYPTED, now=NOW)
    spelled = {"ctoken": params["ctoken"], "nounce": params["nonce"]}
    assert verifier.check(spelled, NOW) == AuthResult.OK


def test_verifier_survives_garbage() -> None:
    verifier = TokenVerifier("123456")
    for params in (
        {"ctoken": "zz", "nonce": "00"},
        {"ctoken": "00" * 41, "nonce": "00" * 24},
        {"hash": "abc", "ts": "x", "rnr": "y"},
        {"hash": "abc", "ts": "2019-03-05T01:06:53Z", "rnr": "1"},
    ):
        assert verifier.check(params, NOW) == AuthResult.INVALID


def test_token_hides_itself() -> None:
    token = Token("supersecret1")
    assert "supersecret1" not in repr(token)
    assert "supersecret1" not in str(token)
    assert "supersecret1" not in f"{token}"
    assert token.reveal() == "supersecret1"
    assert token == Token("supersecret1")
    assert token != Token("other")
