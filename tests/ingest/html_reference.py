#!/usr/bin/env python3
"""Reference cases for the HTML reader's character handling, from Python's standard library
(an implementation independent of ours): one JSON object per line on stdout.

  {"kind": "entity", "in": TEXT, "out": html.unescape(TEXT)}
  {"kind": "charset", "charset": NAME, "hex": BYTES, "out": BYTES.decode(NAME)}

Numeric references to code points Python's html.unescape drops on purpose (controls and
noncharacters, which HTML5 and browsers keep) are left out.
"""
import codecs
import html
import html.entities
import json
import sys


def emit(**fields):
    sys.stdout.write(json.dumps(fields, ensure_ascii=True) + "\n")


def main():
    for name in sorted(html.entities.html5):
        for text in ("&" + name, "&" + name + "z", "a&" + name + ";b"):
            emit(kind="entity", **{"in": text, "out": html.unescape(text)})
    invalid = html._invalid_codepoints
    points = list(range(0x20, 0x7f)) + list(range(0x80, 0xa0)) + list(range(0xa0, 0x3000, 37))
    points += [0, 0xd800, 0xdfff, 0xfffd, 0x1f600, 0x10ffff, 0x110000, 0x7fffffff]
    for cp in points:
        if cp in invalid and cp not in html._invalid_charrefs:
            continue
        for text in ("&#%d;" % cp, "&#x%x;" % cp, "&#X%X" % cp, "&#%dz" % cp):
            emit(kind="entity", **{"in": text, "out": html.unescape(text)})
    for text in ("&", "&&", "& amp;", "&#;", "&#x;", "&#xg;", "&ampx;", "&copy2024", "&notin",
                 "&notit;", "&#99999999999999999999;", "AT&T", "&LT", "&lt"):
        emit(kind="entity", **{"in": text, "out": html.unescape(text)})
    sample = "Zoë's café — “quoted” 5 € · naïve Ærø ½"
    for charset in ("cp1252", "latin-1", "iso-8859-15", "koi8-r", "shift_jis", "gb2312",
                    "euc-kr", "utf-16le", "iso-8859-2"):
        text = {"koi8-r": "Привет, мир", "shift_jis": "日本語のテキスト",
                "gb2312": "中文文本", "euc-kr": "한국어 텍스트",
                "iso-8859-2": "Zażółć gęślą jaźń"}.get(charset, sample)
        data = text.encode(charset, errors="replace")
        emit(kind="charset", charset=charset, hex=data.hex(), out=data.decode(charset))
    # Every byte that cp1252 defines, one by one (the five it leaves undefined are C1 in HTML).
    for byte in range(0x80, 0x100):
        try:
            out = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            out = chr(byte)
        emit(kind="charset", charset="windows-1252", hex="%02x" % byte, out=out)


if __name__ == "__main__":
    main()
