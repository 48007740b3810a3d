"""What the seed, the locustfile and the invariant check share: names, password, the TOTP key."""
import base64
import hashlib
import hmac
import struct
import time

PASSWORD = "load-test-pass-2026"
# The load users' authenticator secret: known to the locustfile, which computes codes as an app would.
# Throw-away databases only (`make loadtest` creates and drops one).
TOTP_SECRET = "MZ2W4ZDPOBZS23DPMFSC25DFON2A"  # base32 of b"fundops-load-test"
FUND_SLUG = "load-fund"
APPLICANTS, REVIEWERS, OFFICERS, FINANCE, DONORS = 30, 12, 6, 4, 6
ASSIGNMENTS_PER_REVIEWER = 40


def totp_key_hex():
    return base64.b32decode(TOTP_SECRET + "=" * (-len(TOTP_SECRET) % 8)).hex()


def totp_now(at=None, step=30, digits=6):
    """RFC 6238 code for the load users' secret (HMAC-SHA1, 30-second steps, 6 digits)."""
    counter = int((at or time.time()) // step)
    digest = hmac.new(bytes.fromhex(totp_key_hex()), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10 ** digits:0{digits}d}"
