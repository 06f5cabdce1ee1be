#!/usr/bin/env python3
"""Builds the tokenizer test corpus from real text that Debian packages ship.

Usage: make_corpus.py OUTPUT_FILE [--size-mb N]

The corpus mixes (in this order, each section up to its share of the size):
  - manual pages translated into German, French, Polish, Russian, Ukrainian, Greek,
    Japanese, Korean, Simplified and Traditional Chinese, and the English originals
    (packages manpages, manpages-de, -fr, -pl, -ru, -ja, -zh, ...: roff source, real prose);
  - Python's standard library source (/usr/lib/python3.*) and C headers (/usr/include): code;
  - the licences in /usr/share/common-licenses;
  - Unicode's emoji test data and UnicodeData.txt (package unicode-data);
  - a generated section of long whitespace runs (spaces, tabs, CR/LF, with and without
    trailing newlines), digit runs and mixed-case contractions, from a fixed seed.
Files are read in sorted order, gzip-decompressed when needed, and kept only when they are
valid UTF-8, so the same packages always give the same bytes. Missing folders are skipped
(the corpus is then smaller; the test prints its size).
"""
import glob
import gzip
import os
import random
import sys

SECTIONS = [
    # (label, glob patterns, share of the total)
    ("man-de", ["/usr/share/man/de/man*/*"], 0.08),
    ("man-fr", ["/usr/share/man/fr/man*/*"], 0.07),
    ("man-pl", ["/usr/share/man/pl/man*/*"], 0.05),
    ("man-ru", ["/usr/share/man/ru/man*/*"], 0.07),
    ("man-uk", ["/usr/share/man/uk/man*/*"], 0.03),
    ("man-el", ["/usr/share/man/el/man*/*"], 0.01),
    ("man-ja", ["/usr/share/man/ja/man*/*"], 0.08),
    ("man-ko", ["/usr/share/man/ko/man*/*"], 0.03),
    ("man-zh_CN", ["/usr/share/man/zh_CN/man*/*"], 0.07),
    ("man-zh_TW", ["/usr/share/man/zh_TW/man*/*"], 0.05),
    ("man-en", ["/usr/share/man/man1/*", "/usr/share/man/man8/*"], 0.06),
    ("python", ["/usr/lib/python3*/*.py", "/usr/lib/python3*/*/*.py"], 0.14),
    ("c-headers", ["/usr/include/*.h", "/usr/include/*/*.h"], 0.06),
    ("licenses", ["/usr/share/common-licenses/*"], 0.03),
    ("emoji", ["/usr/share/unicode/emoji/*.txt"], 0.05),
    ("unicode-data", ["/usr/share/unicode/UnicodeData.txt"], 0.02),
]
GENERATED_SHARE = 0.10


def read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".gz"):
            data = gzip.decompress(data)
        data.decode("utf-8")
        return data
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        return None


def section(patterns, budget):
    files = sorted({p for pattern in patterns for p in glob.glob(pattern) if os.path.isfile(p)})
    out = bytearray()
    for path in files:
        if len(out) >= budget:
            break
        data = read_text(path)
        if data:
            out += data[: budget - len(out)]
            # never cut inside a UTF-8 sequence
            while out and (out[-1] & 0xC0) == 0x80:
                out.pop()
            if out and out[-1] >= 0xC0:
                out.pop()
            out += b"\n"
    return bytes(out)


def generated(budget, seed=20261122):
    rng = random.Random(seed)
    words = ["don't", "DON'T", "we'Re", "they'VE", "I'm", "I'M", "she'll", "SHE'LL", "it's",
             "IT'S", "he'd", "He'D", "o'clock", "rock'n'roll", "'s", "'t", "l'été", "Straße",
             "ΑΘΗΝΑ", "naïve", "Ǆemal", "ǅemal", "ǆemal", "ﬁnance", "e\u0301te\u0301",
             "\u0915\u094d\u0937", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "שָׁלוֹם",
             "日本語", "한국어", "東京2024年", "x²", "Ⅻ", "①②③", "٣٤٥", "१२३", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
             "👩\u200d💻", "🇩🇪", "👍🏽", "C++", "a/b//c", "http://example.org/a?b=1",
             "foo_bar", "__init__", "0x1F", "3.14159", "1,000,000", "v2.0.1", "$100", "#!",
             "\u00a0", "\u2009", "\u3000", "\u200b", "\u00ad", "\ufeff", "'ſ", "'ſt",
             "\u180e", "a\u180e\u180eb", "\u0085", " \u0085 ", "\u2028", "\x1c\x1f"]
    out = []
    size = 0
    while size < budget:
        kind = rng.randrange(6)
        if kind == 0:  # whitespace runs, with and without a newline at the end
            run = "".join(rng.choice(" \t") for _ in range(rng.randrange(1, 300)))
            tail = rng.choice(["", "\n", "\r\n", "\n\n", " \n ", "x"])
            piece = run + tail
        elif kind == 1:  # digit runs
            piece = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 80)))
            piece += rng.choice([" ", "\n", ".", "abc", "\u0660\u0661"])
        elif kind == 2:  # newline runs mixed with spaces
            piece = "".join(rng.choice([" ", "\n", "\r\n", "\t", "\r"])
                            for _ in range(rng.randrange(1, 40)))
        else:  # words and symbols in random case with random separators
            w = rng.choice(words)
            if rng.random() < 0.3:
                w = w.upper() if rng.random() < 0.5 else w.lower()
            piece = w + rng.choice([" ", "", "  ", "\n", ", ", "!", "'", "\t"])
        out.append(piece)
        size += len(piece.encode("utf-8"))
    return "".join(out).encode("utf-8")[:budget].decode("utf-8", "ignore").encode("utf-8")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    output = sys.argv[1]
    size_mb = 12.0
    if len(sys.argv) == 4 and sys.argv[2] == "--size-mb":
        size_mb = float(sys.argv[3])
    total = int(size_mb * 1024 * 1024)
    parts = []
    for label, patterns, share in SECTIONS:
        data = section(patterns, int(total * share))
        parts.append(data)
        print(f"{label:14s} {len(data):>10d} bytes", file=sys.stderr)
    gen = generated(int(total * GENERATED_SHARE))
    print(f"{'generated':14s} {len(gen):>10d} bytes", file=sys.stderr)
    parts.append(gen)
    corpus = b"".join(parts)
    tmp = output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(corpus)
    os.replace(tmp, output)
    print(f"corpus: {len(corpus)} bytes -> {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
