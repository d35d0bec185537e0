#!/usr/bin/env python3
"""Signs es.4 documents for scripts/bench/mount.sh, fast, for `esfs import`.

    mount_gendocs.py --key IDENTITY.json --workspace +bench.esfs \
        --prefix /rss --count N [--per-folder K] [--bytes B] > docs.json

Document i lives at PREFIX/dir-DDDD/doc-IIIIII.txt (DDDD = i / K; K = 0:
PREFIX/doc-IIIIII.txt, all in one folder), with B bytes of text content and
timestamp "now minus a few minutes plus i" (so that the store accepts it and
later saves through the mount win). The identity is an `esfs keygen` file
({"address", "secret"}: the ed25519 seed in es.4 base32). Signing follows
the es.4 rules: the signed message is the base32 SHA-256 of the sorted
"field\\tvalue\\n" lines (author, contentHash, format, path, timestamp,
workspace). Needs python3-cryptography (Ed25519).
"""
import argparse
import base64
import hashlib
import json
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b32encode(data: bytes) -> str:
    """es.4 base32: 'b' + lowercase RFC 4648 alphabet, no padding."""
    return "b" + base64.b32encode(data).decode("ascii").lower().rstrip("=")


def b32decode(text: str) -> bytes:
    if not text.startswith("b"):
        raise ValueError("es.4 base32 starts with 'b'")
    body = text[1:].upper()
    return base64.b32decode(body + "=" * (-len(body) % 8))


def content_of(i: int, size: int) -> str:
    head = f"esfs mount benchmark document {i:06d}\n"
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    body = (words * (size // len(words) + 2))[: max(0, size - len(head) - 1)]
    return head + body + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--per-folder", type=int, default=100)
    ap.add_argument("--bytes", type=int, default=200)
    a = ap.parse_args()

    with open(a.key) as f:
        ident = json.load(f)
    author = ident["address"]
    key = Ed25519PrivateKey.from_private_bytes(b32decode(ident["secret"]))
    base_ts = int(time.time() * 1_000_000) - 5 * 60 * 1_000_000
    prefix = a.prefix.rstrip("/")
    out = sys.stdout
    out.write("[\n")
    for i in range(a.count):
        if a.per_folder > 0:
            path = f"{prefix}/dir-{i // a.per_folder:04d}/doc-{i:06d}.txt"
        else:
            path = f"{prefix}/doc-{i:06d}.txt"
        content = content_of(i, a.bytes)
        content_hash = b32encode(hashlib.sha256(content.encode()).digest())
        ts = base_ts + i
        signing_text = (
            f"author\t{author}\n"
            f"contentHash\t{content_hash}\n"
            f"format\tes.4\n"
            f"path\t{path}\n"
            f"timestamp\t{ts}\n"
            f"workspace\t{a.workspace}\n"
        )
        doc_hash = b32encode(hashlib.sha256(signing_text.encode()).digest())
        signature = b32encode(key.sign(doc_hash.encode("ascii")))
        doc = {
            "format": "es.4",
            "workspace": a.workspace,
            "path": path,
            "contentHash": content_hash,
            "content": content,
            "author": author,
            "timestamp": ts,
            "deleteAfter": None,
            "signature": signature,
        }
        out.write(json.dumps(doc, separators=(",", ":")))
        out.write(",\n" if i + 1 < a.count else "\n")
    out.write("]\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
