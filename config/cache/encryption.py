"""Encryption of cached values that carry personal data (`sensitive=True`).

Keys are `CACHE_ENCRYPTION_KEYS` (settings: comma-separated, the first encrypts, all
decrypt, so a rotation prepends the new key), else `SECRET_KEY`: a sensitive value is
always encrypted. A value written with a key that was since removed does not decrypt:
the caller treats it as a miss.
"""

import base64
import functools
import hashlib
import pickle
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    # Any string is a key: it is stretched to the 32 bytes Fernet needs, so a rotation
    # can use `openssl rand -base64 32` as well as Fernet.generate_key().
    def derive(secret: str) -> Fernet:
        digest = hashlib.sha256(b"blog-cache-encryption:" + secret.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    return MultiFernet([derive(k) for k in keys])


def _encryption() -> MultiFernet:
    keys = tuple(settings.CACHE_ENCRYPTION_KEYS) or (settings.SECRET_KEY,)
    return _fernet(keys)


def value_encrypt(value: Any) -> bytes:
    """The value pickled, then encrypted with the first key."""
    return _encryption().encrypt(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def value_decrypt(payload: bytes) -> Any:
    """The value of `value_encrypt`'s payload; raises if no current key decrypts it."""
    # Only `value_encrypt` writes encrypted payloads, and only after pickling its own
    # value: a payload that decrypts was written by us, with one of our keys.
    return pickle.loads(_encryption().decrypt(payload))  # noqa: S301
