"""Opens a file in SOPS's format with tools that are not meshgen's, as a check of what
meshgen seals: the data key comes from the `age` command-line tool, the values are
decrypted with AES-256-GCM from Python's `cryptography`, and the MAC is recomputed over the
values as sops does it (sops.go and aes/cipher.go, v3.13.2) and compared with the stored one.

    python3 tests/sops/open.py SEALED.yaml AGE_IDENTITY_FILE

Prints the opened document, without its `sops` metadata, as JSON; exits 1 naming what
failed. Only what meshgen writes is supported: age recipients and `encrypted_regex`.
"""

import base64
import hashlib
import json
import re
import subprocess
import sys
from decimal import Decimal

import yaml
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENC = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]$")


def fail(message):
    print(f"open.py: {message}", file=sys.stderr)
    sys.exit(1)


def data_key(meta, identity_file):
    """The data key from the first `sops.age[].enc` that the identity opens."""
    for entry in meta.get("age") or []:
        run = subprocess.run(["age", "-d", "-i", identity_file], input=entry["enc"].encode(), capture_output=True)
        if run.returncode == 0:
            if len(run.stdout) != 32:
                fail(f"the data key has {len(run.stdout)} bytes, not 32")
            return run.stdout
    fail(f"`age -d -i {identity_file}` opens none of the file's sops.age[].enc")


def decrypt(key, text, aad):
    """One ENC[...] value, as the scalar its type names."""
    match = ENC.match(text) if isinstance(text, str) else None
    if not match:
        fail(f"{aad!r}: not an ENC[AES256_GCM,...] value: {text!r}")
    data, iv, tag = (base64.b64decode(part, validate=True) for part in match.group(1, 2, 3))
    try:
        plain = AESGCM(key).decrypt(iv, data + tag, aad.encode()).decode()
    except InvalidTag:
        fail(f"{aad!r}: does not decrypt (wrong key, changed value, or moved to another key)")
    kind = match.group(4)
    if kind == "str":
        return plain
    if kind == "int":
        return int(plain)
    if kind == "float":
        return float(plain)
    if kind == "bool" and plain in ("True", "False"):
        return plain == "True"
    fail(f"{aad!r}: unsupported type {kind!r} (value {plain!r})")


def to_bytes(value):
    """The bytes sops hashes for a scalar (its ToBytes)."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        # Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round trip, no exponent.
        text = format(Decimal(repr(value)), "f")
        return (text.rstrip("0").rstrip(".") if "." in text else text).encode()
    if isinstance(value, str):
        return value.encode()
    fail(f"a value of type {type(value).__name__} that sops would not hash: {value!r}")


def walk(node, path, key, rule, mac):
    """Decrypts and hashes in file order; a list's items share the list's path."""
    if isinstance(node, dict):
        out = {}
        for name, child in node.items():
            if not isinstance(name, str):
                fail(f"a non-string key {name!r} under {':'.join(path)!r}")
            out[name] = walk(child, path + [name], key, rule, mac)
        return out
    if isinstance(node, list):
        return [walk(child, path, key, rule, mac) for child in node]
    if node is None:
        return None
    if any(rule.search(name) for name in path) and node != "":
        node = decrypt(key, node, "".join(name + ":" for name in path))
    mac.update(to_bytes(node))
    return node


def main(sealed_file, identity_file):
    with open(sealed_file, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    meta = doc.pop("sops", None) if isinstance(doc, dict) else None
    if not isinstance(meta, dict):
        fail(f"{sealed_file}: no sops metadata")
    if "encrypted_regex" not in meta or meta.get("mac_only_encrypted"):
        fail("only encrypted_regex files with a MAC over all values are supported")
    key = data_key(meta, identity_file)
    mac = hashlib.sha512()
    opened = walk(doc, [], key, re.compile(meta["encrypted_regex"]), mac)
    stored = decrypt(key, meta["mac"], meta["lastmodified"])
    if stored != mac.hexdigest().upper():
        fail(f"MAC mismatch: the file has {stored}, its values give {mac.hexdigest().upper()}")
    print(json.dumps(opened, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: open.py SEALED.yaml AGE_IDENTITY_FILE")
    main(sys.argv[1], sys.argv[2])
