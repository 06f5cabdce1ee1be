#!/usr/bin/env python3
"""Writes WET files in Common Crawl's published layout (a warcinfo record, then one
"conversion" record of extracted UTF-8 text per page; WARC/1.0 headers with CRLF line
ends; each record followed by CRLF CRLF; in .wet.gz files every record is its own gzip
member), using only Python's standard library:

  make_wet.py OUTDIR
    sample.warc.wet.gz   the records below, compressed record by record
    sample.warc.wet      the same, uncompressed
    damaged.warc.wet     record 2 has an invalid Content-Length (later records are intact)
    truncated.warc.wet   the file ends inside the block of the last record
and OUTDIR/sample.expected.json: the documents a reader must return, in order.
"""
import base64
import gzip
import hashlib
import json
import os
import sys
import uuid

PAGES = [
    ("http://example.com/", "eng", "Example Domain\nThis domain is for use in examples."),
    ("https://fr.example.org/caf%C3%A9", "fra", "Le café de la gare\nOuvert tous les jours, été comme hiver."),
    ("http://example.net/empty", "eng", ""),
    ("http://example.net/unicode", "jpn,eng", "日本語のテキスト 😀\n\nSecond paragraph."),
    ("http://example.net/last", "eng", "The last page.\n" + "More words. " * 200),
]


def record(headers, block):
    head = "WARC/1.0\r\n" + "".join("%s: %s\r\n" % kv for kv in headers)
    head += "Content-Length: %d\r\n\r\n" % len(block)
    return head.encode() + block + b"\r\n\r\n"


def digest(block):
    return "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode()


def build(bad_length_at=None):
    ids = [uuid.UUID(int=i + 1) for i in range(len(PAGES) + 1)]
    info = ("Software-Info: ia-web-commons.1.1.10-SNAPSHOT-20230123102543\r\n"
            "Extracted-Date: Fri, 10 Feb 2023 03:43:41 GMT\r\n"
            "isPartOf: CC-MAIN-2023-06\r\n"
            "operator: Common Crawl Admin (info@commoncrawl.org)\r\n"
            "publisher: Common Crawl\r\n\r\n").encode()
    records = [record([("WARC-Type", "warcinfo"), ("WARC-Date", "2023-02-10T03:43:41Z"),
                       ("WARC-Filename", "CC-MAIN-20230126210844-00000.warc.wet.gz"),
                       ("WARC-Record-ID", "<urn:uuid:%s>" % ids[0]),
                       ("Content-Type", "application/warc-fields")], info)]
    for i, (url, lang, text) in enumerate(PAGES):
        block = text.encode("utf-8")
        headers = [("WARC-Type", "conversion"), ("WARC-Target-URI", url),
                   ("WARC-Date", "2023-01-26T22:18:%02dZ" % i),
                   ("WARC-Record-ID", "<urn:uuid:%s>" % ids[i + 1]),
                   ("WARC-Refers-To", "<urn:uuid:%s>" % uuid.UUID(int=1000 + i)),
                   ("WARC-Block-Digest", digest(block)),
                   ("WARC-Identified-Content-Language", lang), ("Content-Type", "text/plain")]
        data = record(headers, block)
        if bad_length_at == i + 1:
            data = data.replace(b"Content-Length: %d" % len(block), b"Content-Length: 12x4")
        records.append(data)
    return records, ids


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    records, ids = build()
    with open(os.path.join(out, "sample.warc.wet"), "wb") as f:
        f.write(b"".join(records))
    with open(os.path.join(out, "sample.warc.wet.gz"), "wb") as f:
        for r in records:
            f.write(gzip.compress(r, mtime=0))
    damaged, _ = build(bad_length_at=2)
    with open(os.path.join(out, "damaged.warc.wet"), "wb") as f:
        f.write(b"".join(damaged))
    whole = b"".join(records)
    with open(os.path.join(out, "truncated.warc.wet"), "wb") as f:
        f.write(whole[: len(whole) - 1000])
    expected = [{"id": "urn:uuid:%s" % ids[i + 1], "url": url, "text": text, "record": i + 1,
                 "lang": lang}
                for i, (url, lang, text) in enumerate(PAGES) if text]
    with open(os.path.join(out, "sample.expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
