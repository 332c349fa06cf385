#!/usr/bin/env python3
"""Writes the synthetic Noise vector files of this directory, computed independently of
crypto/noise (Python `cryptography`): Noise_XX_25519_ChaChaPoly_SHA256 with fixed keys.

  no_hash.json    cacophony format without handshake_hash (as snow's and flynn's files)
  big_nonce.json  transport messages with the runner's "nonce" (a u64 above 2^63) and "rekey"
  wrong_hash.json a wrong handshake_hash: the runner must fail on it

Run: python3 generate.py (writes the files next to itself)."""
import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

NAME = b"Noise_XX_25519_ChaChaPoly_SHA256"
MAX = 2**64 - 1


def pub(priv):
    k = X25519PrivateKey.from_private_bytes(priv).public_key()
    return k.public_bytes(Encoding.Raw, PublicFormat.Raw)


def dh(priv, pubkey):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pubkey))


def hkdf(ck, ikm):
    t = hmac.new(ck, ikm, hashlib.sha256).digest()
    o1 = hmac.new(t, b"\x01", hashlib.sha256).digest()
    o2 = hmac.new(t, o1 + b"\x02", hashlib.sha256).digest()
    return o1, o2


def nonce(n):
    return b"\x00" * 4 + n.to_bytes(8, "little")


class Cipher:
    def __init__(self, k):
        self.k, self.n = k, 0

    def enc(self, ad, pt):
        ct = ChaCha20Poly1305(self.k).encrypt(nonce(self.n), pt, ad)
        self.n += 1
        return ct

    def rekey(self):
        self.k = ChaCha20Poly1305(self.k).encrypt(nonce(MAX), b"\x00" * 32, b"")[:32]


class Sym:
    def __init__(self, prologue):
        self.h = NAME.ljust(32, b"\x00")
        self.ck, self.c = self.h, None
        self.mix_hash(prologue)

    def mix_hash(self, d):
        self.h = hashlib.sha256(self.h + d).digest()

    def mix_key(self, ikm):
        self.ck, k = hkdf(self.ck, ikm)
        self.c = Cipher(k)

    def enc_hash(self, pt):
        ct = self.c.enc(self.h, pt) if self.c else pt
        self.mix_hash(ct)
        return ct


def xx(v, payloads, transport):
    """The ciphertexts of a Noise XX handshake (initiator's view suffices: both ends agree)."""
    si, ei = bytes.fromhex(v["init_static"]), bytes.fromhex(v["init_ephemeral"])
    sr, er = bytes.fromhex(v["resp_static"]), bytes.fromhex(v["resp_ephemeral"])
    ss = Sym(bytes.fromhex(v["init_prologue"]))
    out = []
    ss.mix_hash(pub(ei))  # -> e
    out.append(pub(ei) + ss.enc_hash(payloads[0]))
    m = pub(er)  # <- e, ee, s, es
    ss.mix_hash(pub(er))
    ss.mix_key(dh(ei, pub(er)))
    m += ss.enc_hash(pub(sr))
    ss.mix_key(dh(ei, pub(sr)))
    out.append(m + ss.enc_hash(payloads[1]))
    m = ss.enc_hash(pub(si))  # -> s, se
    ss.mix_key(dh(si, pub(er)))
    out.append(m + ss.enc_hash(payloads[2]))
    k1, k2 = hkdf(ss.ck, b"")
    # The conversation alternates: message 3 (the first transport one) is the responder's.
    c = [Cipher(k2), Cipher(k1)]  # responder -> initiator, initiator -> responder
    msgs = [{"payload": p.hex(), "ciphertext": ct.hex()} for p, ct in zip(payloads, out)]
    for i, t in enumerate(transport):
        d = c[i % 2]
        m = {"payload": t["payload"].hex()}
        if t.get("rekey"):
            d.rekey()
            m["rekey"] = True
        if "nonce" in t:
            d.n = t["nonce"]
            m["nonce"] = t["nonce"]
        m["ciphertext"] = d.enc(b"", t["payload"]).hex()
        msgs.append(m)
    return msgs, ss.h


def vector():
    return {
        "protocol_name": NAME.decode(),
        "init_prologue": b"kchat synthetic".hex(),
        "init_psks": [],
        "init_static": bytes(range(1, 33)).hex(),
        "init_ephemeral": bytes(range(33, 65)).hex(),
        "resp_prologue": b"kchat synthetic".hex(),
        "resp_psks": [],
        "resp_static": bytes(range(65, 97)).hex(),
        "resp_ephemeral": bytes(range(97, 129)).hex(),
    }


def write(name, vectors):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(path, "w") as f:
        json.dump({"vectors": vectors}, f, indent=1)
        f.write("\n")


def main():
    hs = [b"one", b"two", b"three"]
    v = vector()
    v["messages"], _ = xx(v, hs, [{"payload": b"four"}, {"payload": b"five"}])
    write("no_hash.json", [v])

    v = vector()
    v["messages"], h = xx(v, hs, [
        {"payload": b"near the end", "nonce": MAX - 1},
        {"payload": b"reply", "nonce": 2**63},
        {"payload": b"after rekey", "rekey": True, "nonce": 5},
        {"payload": b"big again", "nonce": 18446744073709551614},
    ])
    v["handshake_hash"] = h.hex()
    write("big_nonce.json", [v])

    v = vector()
    v["messages"], h = xx(v, hs, [{"payload": b"four"}])
    v["handshake_hash"] = bytes([h[0] ^ 1]).hex() + h[1:].hex()
    write("wrong_hash.json", [v])


if __name__ == "__main__":
    main()
