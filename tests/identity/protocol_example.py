#!/usr/bin/env python3
"""An independent implementation of the worked example of docs/PROTOCOL.md, written from the
document (Python `cryptography` for X25519 and ChaCha20-Poly1305, `hashlib` for SHA-256 and
BLAKE2b): reads the "example <name>: <value>" lines, recomputes every output and compares.
Exit status 0 when all match, 1 when not, 77 (skipped) without the `cryptography` module.

Usage: protocol_example.py docs/PROTOCOL.md"""
import base64
import hashlib
import hmac
import re
import sys

try:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
except ImportError:
    print("skipped: no Python module cryptography")
    sys.exit(77)


def pub(priv):
    key = X25519PrivateKey.from_private_bytes(priv).public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def dh(priv, public):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(public))


def hkdf(ck, ikm, n):
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac.new(temp, prev + bytes([i]), hashlib.sha256).digest()
        out.append(prev)
    return out


def aead_nonce(n):
    return bytes(4) + n.to_bytes(8, "little")


class Symmetric:
    """Noise SymmetricState for ChaChaPoly and SHA256."""

    def __init__(self, name, prologue):
        self.h = hashlib.sha256(name).digest() if len(name) > 32 else name.ljust(32, b"\0")
        self.ck, self.k, self.n = self.h, None, 0
        self.mix_hash(prologue)

    def mix_hash(self, data):
        self.h = hashlib.sha256(self.h + data).digest()

    def mix_key(self, ikm):
        self.ck, self.k = hkdf(self.ck, ikm, 2)
        self.n = 0

    def mix_key_and_hash(self, ikm):
        self.ck, temp_h, self.k = hkdf(self.ck, ikm, 3)
        self.mix_hash(temp_h)
        self.n = 0

    def encrypt_and_hash(self, pt):
        ct = pt
        if self.k is not None:
            ct = ChaCha20Poly1305(self.k).encrypt(aead_nonce(self.n), pt, self.h)
            self.n += 1
        self.mix_hash(ct)
        return ct


def main(path):
    doc = open(path, encoding="utf-8").read()
    ex = dict(re.findall(r"^example ([a-z0-9 ]+): (.*?) *$", doc, re.M))
    got = {}
    hx = lambda name: bytes.fromhex(ex[name])

    # Identity: X25519 public key; identifier = base32(SHA-256("kchat identity v1" || pub)[:30]).
    bob_pub = pub(hx("private key"))
    got["public key"] = bob_pub.hex()
    digest = hashlib.sha256(b"kchat identity v1" + bob_pub).digest()[:30]
    ident = base64.b32encode(digest).decode().lower()
    got["identifier"] = ident
    got["short form"] = "-".join([ident[0:4], ident[4:8], ident[8:12]])

    # Invitation: kchat1:a2b:b2a:id:base64url(secret, no padding):hex(SHA-256(prefix)[:4]).
    secret = hx("secret")
    head = "kchat1:%s:%s:%s:%s:" % (ex["a2b"], ex["b2a"], ident,
                                    base64.urlsafe_b64encode(secret).decode().rstrip("="))
    got["invitation"] = head + hashlib.sha256(head.encode()).hexdigest()[:8]

    # Handshake: Noise_XXpsk3_25519_ChaChaPoly_SHA256 with the kchat/3 prologue.
    session = hx("session id")
    a2b, b2a = ex["a2b"].encode(), ex["b2a"].encode()
    prologue = b"kchat/3\0" + session + bytes([len(a2b)]) + a2b + bytes([len(b2a)]) + b2a
    ss = Symmetric(b"Noise_XXpsk3_25519_ChaChaPoly_SHA256", prologue)
    si, ei = hx("alice private key"), hx("ephemeral private key")
    sr, er = hx("private key"), hx("bob ephemeral private key")
    # -> e (psk modifier: MixKey(e) too)
    ss.mix_hash(pub(ei))
    ss.mix_key(pub(ei))
    m1 = pub(ei) + ss.encrypt_and_hash(hx("message 1 payload"))
    frame1 = bytes([3, 1]) + session + m1 + int(ex["message 1 sent ms"]).to_bytes(8, "big")
    mac1_key = hashlib.blake2b(b"kchat/3 mac1", key=secret, digest_size=32).digest()
    mac1 = hashlib.blake2b(frame1, key=mac1_key, digest_size=16).digest()
    got["mac1 key"], got["mac1"] = mac1_key.hex(), mac1.hex()
    got["message 1 frame"] = (frame1 + mac1).hex()
    # <- e, ee, s, es
    ss.mix_hash(pub(er))
    ss.mix_key(pub(er))
    ss.mix_key(dh(ei, pub(er)))
    m2 = pub(er) + ss.encrypt_and_hash(pub(sr))
    ss.mix_key(dh(ei, pub(sr)))
    m2 += ss.encrypt_and_hash(hx("message 2 payload"))
    got["message 2 frame"] = (bytes([3, 2]) + session + m2).hex()
    # -> s, se, psk
    m3 = ss.encrypt_and_hash(pub(si))
    ss.mix_key(dh(si, pub(er)))
    ss.mix_key_and_hash(secret)
    m3 += ss.encrypt_and_hash(hx("message 3 payload"))
    got["message 3 frame"] = (bytes([3, 3]) + session + m3).hex()
    got["handshake hash"] = ss.h.hex()

    # Alice's first data frame: record kind 1, seq 1, fragment 0 of 1, padded to 256 bytes.
    k_send, _ = hkdf(ss.ck, b"", 2)
    body = ex["record body"].encode()
    header = (bytes([1, 0]) + (1).to_bytes(8, "big") + bytes(16) + (0).to_bytes(4, "big") +
              (1).to_bytes(4, "big") + len(body).to_bytes(4, "big"))
    got["record header"] = header.hex()
    plaintext = (header + body).ljust(256, b"\0")
    frame_header = bytes([3, 4]) + session + (0).to_bytes(8, "big")
    sealed = ChaCha20Poly1305(k_send).encrypt(aead_nonce(0), plaintext, frame_header)
    got["data frame"] = (frame_header + sealed).hex()

    # Her second: a batch record (kind 4, ack 0, fragment 0 of 1) of seq 2 and 3, nonce 1.
    texts = [ex["batch text 1"].encode(), ex["batch text 2"].encode()]
    entries = b"".join(bytes([0]) + seq.to_bytes(8, "big") + bytes(8) + len(t).to_bytes(4, "big") + t
                       for seq, t in zip((2, 3), texts))
    batch = (2).to_bytes(2, "big") + entries
    header = (bytes([4, 0]) + bytes(24) + (0).to_bytes(4, "big") + (1).to_bytes(4, "big") +
              len(batch).to_bytes(4, "big"))
    got["batch record"] = (header + batch).hex()
    plaintext = (header + batch).ljust(256, b"\0")
    frame_header = bytes([3, 4]) + session + (1).to_bytes(8, "big")
    sealed = ChaCha20Poly1305(k_send).encrypt(aead_nonce(1), plaintext, frame_header)
    got["batch frame"] = (frame_header + sealed).hex()

    bad = [name for name in got if ex.get(name) != got[name]]
    for name in bad:
        print("example %s: document %s, computed %s" % (name, ex.get(name), got[name]))
    print("%d of %d example values match" % (len(got) - len(bad), len(got)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
