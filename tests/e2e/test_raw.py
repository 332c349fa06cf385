"""No plaintext in Kafka: after a chat of distinctive messages, every record of both topics (key,
value, headers, read raw with kafka_relay dump) and, when the fixture's data directory is known,
the broker's files on disk are searched for the message texts, the invitation secret (text and
raw bytes) and both identity secrets (text and raw bytes). None may appear. The identities'
public keys must not appear either (Noise XX sends static keys encrypted)."""
import os

import harness
from harness import check


def broker_data_dir():
    path = os.environ.get("KCHAT_TEST_BROKERS_FILE")
    if os.environ.get("KCHAT_TEST_BROKERS") or not path:
        return None
    data = os.path.join(os.path.dirname(path), "data")
    return data if os.path.isdir(data) else None


def record_blobs(records):
    for r in records:
        yield r["value"]
        if r["key"]:
            yield r["key"]
        for name, val in r["headers"]:
            yield name
            yield val


def disk_files(data_dir, topics):
    """Every file of the topics' partitions, plus the consumer offsets and cluster metadata."""
    for sub in os.listdir(data_dir):
        if any(sub.startswith(t + "-") for t in topics) or sub.startswith("__"):
            d = os.path.join(data_dir, sub)
            for f in os.listdir(d):
                p = os.path.join(d, f)
                if os.path.isfile(p):
                    with open(p, "rb") as fh:
                        yield p, fh.read()


def test_no_plaintext_in_kafka():
    with harness.Chat() as chat:
        bob_id_path, alice_id_path = chat.path("bob.identity"), chat.path("alice.identity")
        bob = chat.bob("--echo", "--identity", bob_id_path)
        inv = bob.wait_event("invitation")
        marker = os.urandom(6).hex()
        lines = [f"plaintext-canary-{marker}-{i:03d} the eagle lands at midnight" for i in range(20)]
        lines.append(f"long-canary-{marker}-" + "wxyz" * 70000)  # two fragments
        alice = chat.alice(inv["invitation"], "--timeout", "60", "--identity", alice_id_path,
                           stdin_lines=lines)
        check(alice.wait_exit(90) == 0, f"alice failed: {alice.stderr[-3:]}")
        check(len(alice.of("echo")) == len(lines), "not every message echoed")
        bob.wait_event("peer-left", 20)
        check(bob.stop() == 0, "bob did not exit 0")

        _, _, _, psk = harness.split_invitation(inv["invitation"])
        psk_text = inv["invitation"].split(":")[4]
        needles = {f"message {i}": t.encode() for i, t in enumerate(lines)}
        needles["marker"] = marker.encode()
        needles["long message middle"] = ("wxyz" * 8).encode()
        needles["invitation secret (text)"] = psk_text.encode()
        needles["invitation secret (raw)"] = psk
        needles["invitation"] = inv["invitation"].encode()
        for who, path in (("alice", alice_id_path), ("bob", bob_id_path)):
            secret, secret_text, public = harness.identity_secret(path)
            check(len(secret) == 32 and len(public) == 32, f"{who}: bad identity file")
            needles[f"{who} identity secret (raw)"] = secret
            needles[f"{who} identity secret (text)"] = secret_text.encode()
            needles[f"{who} public key (raw)"] = public

        records = {t: harness.dump(chat.brokers, t) for t in (inv["a2b"], inv["b2a"])}
        a2b, b2a = records[inv["a2b"]], records[inv["b2a"]]
        # Lines waiting at once share a batch record: at least message 1, message 3, one data
        # record and the close frame on a2b; message 2 and one data record on b2a.
        check(len(a2b) >= 4 and len(b2a) >= 2, f"too few records: a2b {len(a2b)}, b2a {len(b2a)}")
        check(a2b[0]["value"][:2] == b"\x03\x01", "first a2b record is not handshake message 1")
        blobs = list(record_blobs(a2b)) + list(record_blobs(b2a))
        for what, needle in needles.items():
            for blob in blobs:
                check(needle not in blob, f"{what} found in a Kafka record")
        total = sum(len(b) for b in blobs)

        data_dir = broker_data_dir()
        files = 0
        if data_dir:
            sample = a2b[-1]["value"][-32:]  # positive control: the records are on disk
            found_sample = False
            for path, content in disk_files(data_dir, (inv["a2b"], inv["b2a"])):
                files += 1
                found_sample = found_sample or sample in content
                for what, needle in needles.items():
                    check(needle not in content, f"{what} found in {path}")
            check(found_sample, "the last a2b record is not in the broker's files: wrong dir?")
        print(f"searched {len(needles)} secrets in {len(blobs)} record fields ({total} bytes)"
              + (f" and {files} broker files" if data_dir else " (broker files not available)"))


if __name__ == "__main__":
    harness.run([test_no_plaintext_in_kafka])
