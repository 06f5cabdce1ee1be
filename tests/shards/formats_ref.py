#!/usr/bin/python3
"""Independent readers and writers of the llm.c and Megatron-LM token formats, written from
their published layouts (llm.c dev/data/data_common.py; Megatron-LM
megatron/core/datasets/indexed_dataset.py) with the Python standard library only, to check
mnemo-shard's export and import against something that is not mnemo.

  formats_ref.py make-llmc BIN DOCS_JSON NDOCS SEED   write documents as an llm.c file (EOS first)
  formats_ref.py check-llmc BIN DOCS_JSON             the file holds exactly these documents
  formats_ref.py check-megatron PREFIX DOCS_JSON      one sequence per document, EOS at the end
  formats_ref.py check-ids IDS_TXT DOCS_JSON FIRST    `mnemo-shard cat --ids` lines match documents
  formats_ref.py check-stats STATS_JSON DOCS_JSON     `mnemo-shard stats --json` counts match
"""
import json
import random
import struct
import sys
from array import array

EOS = 50256
VOCAB = 50257


def fail(message):
    sys.exit("formats_ref.py: " + message)


def make_llmc(path, docs_json, ndocs, seed):
    rng = random.Random(seed)
    docs = []
    for _ in range(ndocs):
        length = rng.choice([0, 1, 2, rng.randrange(3, 40), rng.randrange(40, 900)])
        docs.append([rng.randrange(0, EOS) for _ in range(length)])
    tokens = array("H")
    for doc in docs:
        tokens.append(EOS)
        tokens.extend(doc)
    header = [0] * 256
    header[0], header[1], header[2] = 20240520, 1, len(tokens)
    with open(path, "wb") as f:
        f.write(struct.pack("<256i", *header))
        if sys.byteorder != "little":
            tokens.byteswap()
        f.write(tokens.tobytes())
    with open(docs_json, "w") as f:
        json.dump(docs, f)


def read_llmc(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, version, count = struct.unpack_from("<3i", data, 0)
    if (magic, version) == (20240520, 1):
        code, width = "H", 2
    elif (magic, version) == (20240801, 7):
        code, width = "I", 4
    else:
        fail(f"{path}: bad llm.c header {magic} {version}")
    if len(data) != 1024 + count * width:
        fail(f"{path}: {len(data)} bytes for {count} tokens")
    tokens = array(code)
    tokens.frombytes(data[1024:])
    if sys.byteorder != "little":
        tokens.byteswap()
    return list(tokens)


def check_llmc(path, docs_json):
    docs = json.load(open(docs_json))
    expected = []
    for doc in docs:
        expected.append(EOS)
        expected.extend(doc)
    if read_llmc(path) != expected:
        fail(f"{path} does not hold the {len(docs)} documents of {docs_json}")


def read_megatron(prefix):
    idx = open(prefix + ".idx", "rb").read()
    binary = open(prefix + ".bin", "rb").read()
    if idx[:9] != b"MMIDIDX\x00\x00":
        fail("bad .idx magic")
    version, = struct.unpack_from("<Q", idx, 9)
    code = idx[17]
    n, d = struct.unpack_from("<QQ", idx, 18)
    if version != 1:
        fail(f"version {version}")
    dtypes = {1: ("B", 1), 2: ("b", 1), 3: ("h", 2), 4: ("i", 4), 5: ("q", 8), 8: ("H", 2)}
    if code not in dtypes:
        fail(f"dtype code {code}")
    fmt, width = dtypes[code]
    offset = 34
    lengths = struct.unpack_from(f"<{n}i", idx, offset)
    offset += 4 * n
    pointers = struct.unpack_from(f"<{n}q", idx, offset)
    offset += 8 * n
    doc_index = struct.unpack_from(f"<{d}q", idx, offset)
    offset += 8 * d
    if offset != len(idx):
        fail(f".idx has {len(idx)} bytes, expected {offset}")
    if doc_index[0] != 0 or doc_index[-1] != n:
        fail("document index must run from 0 to the sequence count")
    sequences = [list(struct.unpack_from(f"<{length}{fmt}", binary, pointer))
                 for length, pointer in zip(lengths, pointers)]
    return code, sequences, list(doc_index)


def check_megatron(prefix, docs_json):
    docs = json.load(open(docs_json))
    code, sequences, doc_index = read_megatron(prefix)
    if code != 8:
        fail(f"a 50,257-id vocabulary should be exported as uint16 (code 8), got {code}")
    if doc_index != list(range(len(docs) + 1)):
        fail("expected one sequence per document")
    for i, (doc, seq) in enumerate(zip(docs, sequences)):
        if seq != doc + [EOS]:
            fail(f"sequence {i} differs from document {i}")
    if len(sequences) != len(docs):
        fail(f"{len(sequences)} sequences for {len(docs)} documents")


def check_ids(ids_txt, docs_json, first):
    docs = json.load(open(docs_json))
    lines = open(ids_txt).read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for k, line in enumerate(lines):
        got = [int(x) for x in line.split()]
        if got != docs[first + k]:
            fail(f"cat --ids line {k} is not document {first + k}")
    if not lines:
        fail("no documents printed")


def check_stats(stats_json, docs_json):
    docs = json.load(open(docs_json))
    stats = json.loads(open(stats_json).read().splitlines()[0])
    lengths = [len(doc) + 1 for doc in docs]
    expected = {"documents": len(docs), "tokens": sum(lengths), "min": min(lengths),
                "max": max(lengths)}
    for key, value in expected.items():
        if stats[key] != value:
            fail(f"stats {key} = {stats[key]}, expected {value}")
    if sum(b["documents"] for b in stats["histogram"]) != len(docs):
        fail("histogram does not count every document")
    for b in stats["histogram"]:
        inside = sum(1 for n in lengths if b["from"] <= n <= b["to"])
        if inside != b["documents"]:
            fail(f"bucket {b['from']}-{b['to']} holds {b['documents']}, expected {inside}")


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    command, args = argv[1], argv[2:]
    if command == "make-llmc":
        make_llmc(args[0], args[1], int(args[2]), int(args[3]))
    elif command == "check-llmc":
        check_llmc(args[0], args[1])
    elif command == "check-megatron":
        check_megatron(args[0], args[1])
    elif command == "check-ids":
        check_ids(args[0], args[1], int(args[2]))
    elif command == "check-stats":
        check_stats(args[0], args[1])
    else:
        fail(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
