"""Reading the site search's term shards back, as the browser's engine does (`engine.js`):
an independent reader of the format `index_writer` writes, for the tests."""

from __future__ import annotations

import json
import struct


def decode_postings(data: bytes) -> list[tuple[int, int]]:
    """The inverse of `index_writer.encode_postings`."""
    postings = []
    doc_id = shift = delta = 0
    i = 0
    while i < len(data):
        byte = data[i]
        i += 1
        delta |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        doc_id += delta
        postings.append((doc_id, data[i]))
        i += 1
        delta = shift = 0
    return postings


def read_shard(data: bytes) -> dict[str, list[tuple[int, int]]]:
    """A shard's postings by term."""
    (length,) = struct.unpack_from("<I", data)
    header = json.loads(data[4 : 4 + length])
    body = data[4 + length :]
    ends = [*header["offsets"][1:], len(body)]
    return {
        term: decode_postings(body[start:end])
        for term, start, end in zip(header["terms"], header["offsets"], ends, strict=True)
    }
