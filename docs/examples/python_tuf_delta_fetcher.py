"""A python-tuf (>= 6) fetcher that downloads delta updates from tuf-edge (RFC 9842, `dcz`).

python-tuf verifies every byte this fetcher returns (lengths, hashes, signatures, versions), exactly
as with its default Urllib3Fetcher: the fetcher only changes how the bytes travel. It needs
`urllib3` (already a python-tuf dependency) and `zstandard` (pip install zstandard).

    from tuf.ngclient import Updater
    updater = Updater(metadata_dir, metadata_base_url, target_dir, target_base_url,
                      fetcher=DeltaFetcher(dictionary_dir))

See docs/delta.md for the protocol. Mirrors createDeltaFetch (shared/delta/fetch.ts) and
decodeDcz (shared/delta/dcz.ts).
"""

import base64
import fnmatch
import hashlib
import json
import os
import re
from typing import Iterator, Optional
from urllib.parse import urljoin, urlsplit

import urllib3
import zstandard
from tuf.api import exceptions
from tuf.ngclient import FetcherInterface

DCZ_HEADER = bytes([0x5E, 0x2A, 0x4D, 0x18, 0x20, 0x00, 0x00, 0x00])
# tuf-edge ends a dcz body with a skippable frame holding the SHA-256 of the decoded content.
CONTENT_SHA256_FRAME = bytes([0x50, 0x2A, 0x4D, 0x18, 0x20, 0x00, 0x00, 0x00])
MAX_LENGTH = 64 * 1024 * 1024


def decode_dcz(body: bytes, dictionary: bytes) -> bytes:
    """The content of a dcz body; raises ValueError for anything corrupt or made with another dictionary."""
    if len(body) < 80 or body[:8] != DCZ_HEADER:
        raise ValueError("not a dcz body")
    if body[8:40] != hashlib.sha256(dictionary).digest():
        raise ValueError("compressed with another dictionary")
    if body[-40:-32] != CONTENT_SHA256_FRAME:
        raise ValueError("no content hash")
    raw = zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    content = zstandard.ZstdDecompressor(dict_data=raw).decompress(body[40:-40], max_output_size=MAX_LENGTH)
    if hashlib.sha256(content).digest() != body[-32:]:
        raise ValueError("decoded bytes do not match the content hash")
    return content


def parse_offer(value: Optional[str]) -> Optional[dict]:
    """`match` and `id` of a Use-As-Dictionary header (the subset tuf-edge sends)."""
    if not value:
        return None
    members = dict(re.findall(r'([a-z-]+)="((?:[^"\\]|\\.)*)"', value))
    return {"match": members["match"], "id": members.get("id")} if "match" in members else None


class DeltaFetcher(FetcherInterface):
    """Keeps the last bytes of each role in `dictionary_dir` and asks for deltas against them."""

    def __init__(self, dictionary_dir: str, pool: Optional[urllib3.PoolManager] = None):
        self.dir = dictionary_dir
        self.pool = pool or urllib3.PoolManager()
        os.makedirs(dictionary_dir, exist_ok=True)

    def _dictionaries(self) -> Iterator[dict]:
        for name in os.listdir(self.dir):
            if name.endswith(".json"):
                with open(os.path.join(self.dir, name)) as f:
                    meta = json.load(f)
                with open(os.path.join(self.dir, name[:-5] + ".bin"), "rb") as f:
                    meta["bytes"] = f.read()
                yield meta

    def _best(self, url: str) -> Optional[dict]:
        best = None
        for d in self._dictionaries():
            base, target = urlsplit(d["url"]), urlsplit(url)
            pattern = urlsplit(urljoin(d["url"], d["match"])).path
            # `*` is the only URL Pattern syntax tuf-edge uses; [ ] ? are escaped so they match literally.
            pattern = re.sub(r"([\[\]?])", r"[\1]", pattern)
            if base.netloc == target.netloc and fnmatch.fnmatchcase(target.path, pattern):
                if best is None or len(d["match"]) > len(best["match"]):
                    best = d
        return best

    def _keep(self, url: str, offer: dict, content: bytes) -> None:
        key = hashlib.sha256(offer["match"].encode()).hexdigest()[:32]
        with open(os.path.join(self.dir, key + ".bin.tmp"), "wb") as f:
            f.write(content)
        os.replace(os.path.join(self.dir, key + ".bin.tmp"), os.path.join(self.dir, key + ".bin"))
        with open(os.path.join(self.dir, key + ".json.tmp"), "w") as f:
            json.dump({"url": url, **offer}, f)
        os.replace(os.path.join(self.dir, key + ".json.tmp"), os.path.join(self.dir, key + ".json"))

    def _fetch(self, url: str) -> Iterator[bytes]:
        dictionary = self._best(url)
        headers = {"Accept-Encoding": "gzip"}
        if dictionary:
            sha = hashlib.sha256(dictionary["bytes"]).digest()
            headers["Accept-Encoding"] = "dcz, gzip"
            headers["Available-Dictionary"] = ":" + base64.b64encode(sha).decode() + ":"
            if dictionary.get("id"):
                headers["Dictionary-ID"] = '"' + dictionary["id"] + '"'
        response = self.pool.request("GET", url, headers=headers, timeout=30)
        if response.status >= 400:
            raise exceptions.DownloadHTTPError(f"GET {url}", response.status)
        content = response.data  # urllib3 decodes gzip; it leaves dcz, which it does not know, alone
        if response.headers.get("Content-Encoding", "").strip().lower() == "dcz":
            if not dictionary:
                raise exceptions.DownloadError("dcz answer to a request that named no dictionary")
            try:
                content = decode_dcz(content, dictionary["bytes"])
            except (ValueError, zstandard.ZstdError) as e:
                raise exceptions.DownloadError(f"GET {url}: {e}") from e
        offer = parse_offer(response.headers.get("Use-As-Dictionary"))
        if offer:
            self._keep(url, offer, content)
        yield content
