"""An independent reader of CernVM-FS repositories, written from the format description
(../shared/design/cvmfs-format.md) and not from our Swift code, to check what `cygnet-software publish` writes.

It verifies what a reference client verifies (manifest hash and signature, whitelist signature, expiry and
fingerprint, every object's hash) and rebuilds the tree from the catalogs."""

from __future__ import annotations

import datetime
import hashlib
import os
import sqlite3
import struct
import tempfile
import zlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

SUFFIXES = {"": "sha1", "-rmd160": "rmd160", "-shake128": "shake128"}
ALGORITHM_IDS = {0: "", 1: "-rmd160", 2: "-shake128"}


class FormatError(Exception):
    pass


def content_hash(data: bytes, suffix: str) -> str:
    if suffix == "":
        return hashlib.sha1(data).hexdigest()
    if suffix == "-shake128":
        return hashlib.shake_128(data).hexdigest(20) + suffix
    raise FormatError(f"unsupported hash suffix {suffix!r}")


def split_hash(text: str) -> tuple[str, str]:
    return text[:40], text[40:]


def path_key(path: bytes) -> tuple[int, int]:
    digest = hashlib.md5(path).digest()
    return struct.unpack("<qq", digest)


def parse_signed(data: bytes) -> tuple[bytes, str, bytes]:
    if data.startswith(b"--\n"):
        start = 0
    else:
        position = data.find(b"\n--\n")
        if position < 0:
            raise FormatError("no -- line")
        start = position + 1
    body = data[:start]
    rest = data[start + 3 :]
    newline = rest.index(b"\n")
    return body, rest[:newline].decode(), rest[newline + 1 :]


def raw_rsa_recover(public_key, signature: bytes) -> bytes:
    numbers = public_key.public_numbers()
    value = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n)
    block = value.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    if not block.startswith(b"\x00\x01"):
        raise FormatError("not PKCS#1 type 1 padding")
    separator = block.index(b"\x00", 2)
    if set(block[2:separator]) != {0xFF}:
        raise FormatError("bad padding bytes")
    return block[separator + 1 :]


@dataclass
class Entry:
    path: bytes
    name: bytes
    mode: int
    size: int
    mtime: int
    flags: int
    hash: bytes | None
    symlink: bytes
    uid: int
    gid: int
    linkcount: int
    xattrs: dict[bytes, bytes] = field(default_factory=dict)
    chunks: list[tuple[int, int, bytes]] = field(default_factory=list)


@dataclass
class Repository:
    base: str  # the folder that holds .cvmfspublished
    name: str
    master_public_key_pem: bytes
    now: datetime.datetime | None = None

    manifest: dict[str, str] = field(default_factory=dict)
    entries: dict[bytes, Entry] = field(default_factory=dict)
    objects_checked: int = 0

    def read(self, relative: str) -> bytes:
        with open(os.path.join(self.base, relative), "rb") as handle:
            return handle.read()

    def object(self, hash_text: str, kind: str) -> bytes:
        digest, suffix = split_hash(hash_text)
        data = self.read(f"data/{digest[:2]}/{digest[2:]}{suffix}{kind}")
        if content_hash(data, suffix) != hash_text:
            raise FormatError(f"object {hash_text}{kind} does not match its hash")
        self.objects_checked += 1
        return data

    def verify(self) -> None:
        body, body_hash, signature = parse_signed(self.read(".cvmfspublished"))
        fields = {}
        for line in body.decode().splitlines():
            if line:
                fields.setdefault(line[0], line[1:])
        self.manifest = fields
        for key in "CRDS":
            if key not in fields:
                raise FormatError(f"manifest lacks {key}")
        _, suffix = split_hash(fields["C"])
        if content_hash(body, suffix) != body_hash:
            raise FormatError("manifest body hash mismatch")
        if fields["R"] != "d41d8cd98f00b204e9800998ecf8427e":
            raise FormatError("bad R")
        if fields.get("N", self.name) != self.name:
            raise FormatError("wrong repository name")
        certificate = x509.load_pem_x509_certificate(zlib.decompress(self.object(fields["X"], "X")))
        certificate.public_key().verify(signature, body_hash.encode(), padding.PKCS1v15(), hashes.SHA1())
        self.verify_whitelist(certificate)

    def verify_whitelist(self, certificate) -> None:
        body, body_hash, signature = parse_signed(self.read(".cvmfswhitelist"))
        lines = body.decode().splitlines()
        if len(lines[0]) != 14 or len(lines[1]) != 15 or not lines[1].startswith("E"):
            raise FormatError("whitelist header")
        if lines[2] != "N" + self.name:
            raise FormatError("whitelist is for another repository")
        expires = datetime.datetime.strptime(lines[1][1:11], "%Y%m%d%H").replace(tzinfo=datetime.timezone.utc)
        now = self.now or datetime.datetime.now(datetime.timezone.utc)
        if now > expires:
            raise FormatError("whitelist expired")
        suffix = next((s for s in SUFFIXES if s and body_hash.endswith(s)), "")
        if content_hash(body, suffix) != body_hash:
            raise FormatError("whitelist body hash mismatch")
        master = serialization.load_pem_public_key(self.master_public_key_pem)
        if raw_rsa_recover(master, signature) != body_hash.encode():
            raise FormatError("whitelist not signed by the master key")
        der = certificate.public_bytes(serialization.Encoding.DER)
        fingerprint = ":".join(f"{b:02X}" for b in hashlib.sha1(der).digest())
        if fingerprint not in [line.split()[0] for line in lines[3:] if line]:
            raise FormatError("certificate not on the whitelist")

    def load_catalogs(self) -> int:
        """Walks every catalog from the root; returns how many there were."""
        return self._load_catalog(self.manifest["C"], b"", is_root=True)

    def _load_catalog(self, hash_text: str, prefix: bytes, is_root: bool) -> int:
        data = zlib.decompress(self.object(hash_text, "C"))
        with tempfile.NamedTemporaryFile(suffix=".sqlite") as handle:
            handle.write(data)
            handle.flush()
            database = sqlite3.connect(handle.name)
            database.text_factory = bytes
            properties = {k.decode(): v.decode() for k, v in database.execute("SELECT key, value FROM properties")}
            if properties["schema"] != "2.5" or properties["schema_revision"] != "6":
                raise FormatError("schema")
            if not is_root and properties.get("root_prefix") != prefix.decode():
                raise FormatError("root_prefix")
            count = 1
            rows = database.execute(
                "SELECT md5path_1, md5path_2, parent_1, parent_2, hardlinks, hash, size, mode, mtime, flags, "
                "name, symlink, uid, gid, xattr FROM catalog"
            ).fetchall()
            by_key = {(r[0], r[1]): r for r in rows}
            # Rebuild full paths from the catalog root down, checking every key is the MD5 of its path.
            root_key = path_key(prefix)
            if root_key not in by_key:
                raise FormatError(f"catalog for {prefix!r} lacks its root entry")
            paths = {root_key: prefix}
            pending = [root_key]
            children_of: dict[tuple[int, int], list] = {}
            for row in rows:
                children_of.setdefault((row[2], row[3]), []).append(row)
            while pending:
                key = pending.pop()
                for row in children_of.get(key, []):
                    child_key = (row[0], row[1])
                    if child_key == key:
                        continue
                    path = paths[key] + b"/" + row[10]
                    if path_key(path) != child_key:
                        raise FormatError(f"path key of {path!r} is wrong")
                    paths[child_key] = path
                    pending.append(child_key)
            if len(paths) != len(rows):
                raise FormatError("rows not reachable from the catalog root")
            for key, path in paths.items():
                row = by_key[key]
                flags = row[9]
                if path in self.entries and not (flags & 32):
                    if not (self.entries[path].flags & 2):
                        raise FormatError(f"{path!r} appears twice")
                entry = Entry(
                    path=path, name=row[10], mode=row[7], size=row[6], mtime=row[8], flags=flags,
                    hash=row[5], symlink=row[11] or b"", uid=row[12], gid=row[13], linkcount=row[4] & 0xFFFFFFFF,
                )
                if row[14] is not None:
                    blob = row[14]
                    if blob[0] != 1:
                        raise FormatError("xattr version")
                    position = 2
                    for _ in range(blob[1]):
                        key_length, value_length = blob[position], blob[position + 1]
                        position += 2
                        entry.xattrs[blob[position : position + key_length]] = blob[
                            position + key_length : position + key_length + value_length
                        ]
                        position += key_length + value_length
                if flags & 64:
                    entry.chunks = [
                        (r[0], r[1], r[2])
                        for r in database.execute(
                            "SELECT offset, size, hash FROM chunks WHERE md5path_1 = ? AND md5path_2 = ? "
                            "ORDER BY offset",
                            key,
                        )
                    ]
                if path not in self.entries or flags & 32:
                    self.entries[path] = entry
            for nested_path, nested_hash, _ in database.execute("SELECT path, sha1, size FROM nested_catalogs"):
                if not (self.entries[nested_path].flags & 2):
                    raise FormatError("nested catalog without mountpoint flag")
                count += self._load_catalog(nested_hash.decode(), nested_path, is_root=False)
            database.close()
        return count

    def contents(self, entry: Entry) -> bytes:
        suffix = ALGORITHM_IDS[(entry.flags >> 8) & 7]
        compressed = (entry.flags >> 11) & 7 == 0
        if entry.flags & 64:
            data = b""
            for offset, size, digest in entry.chunks:
                if offset != len(data):
                    raise FormatError("chunk gap")
                piece = self.object(digest.hex() + suffix, "P")
                piece = zlib.decompress(piece) if compressed else piece
                if len(piece) != size:
                    raise FormatError("chunk size")
                data += piece
            return data
        data = self.object(entry.hash.hex() + suffix, "")
        return zlib.decompress(data) if compressed else data

    def children(self, path: bytes) -> list[bytes]:
        prefix = path + b"/"
        return sorted(
            p[len(prefix) :] for p in self.entries if p.startswith(prefix) and b"/" not in p[len(prefix) :]
        )
