#!/usr/bin/env bash
# Writes a small web site, serves it with `python3 -m http.server` on a free local port, and
# crawls it with `wget --warc-file` (GNU Wget, an independent WARC writer), twice:
# site.warc.gz (one gzip member per record, wget's default) and site-plain.warc.
#   make_warc.sh OUTDIR
# The site holds an article with boilerplate (script, style, header, nav, aside, form,
# footer) and character references, a Windows-1252 page declared by <meta charset>, a text
# file, an image, a link to a missing page (404) and a directory index (a URI ending in /).
set -euo pipefail
out="$1"
mkdir -p "$out/site/sub"
cd "$out"
cat > site/index.html <<'HTML'
<!DOCTYPE html>
<html><head><title>Index</title></head><body>
<p>Welcome to the test site.</p>
<ul><li><a href="article.html">Article</a></li><li><a href="latin1.html">Latin</a></li>
<li><a href="notes.txt">Notes</a></li><li><a href="image.png">Image</a></li>
<li><a href="missing.html">Missing</a></li><li><a href="sub/">Sub</a></li></ul>
</body></html>
HTML
cat > site/article.html <<'HTML'
<!DOCTYPE html>
<html><head><title>Article title</title><style>body { font: 12px sans-serif; }</style>
<script>var x = "<p>not text</p>"; if (1 < 2) { x += "</div>"; }</script></head>
<body><header><h1>Site name</h1><nav><a href="index.html">Home</a> | <a href="sub/">Sub</a></nav></header>
<main><h1>The heading</h1>
<p>First paragraph with &amp; entity &eacute;t&eacute; and &#8364; sign.</p>
<p>Second   paragraph<br>with a line break.</p>
<ul><li>item one</li><li>item two</li></ul></main>
<aside>Related links</aside><form action="/search"><input name="q"><button>Search</button></form>
<footer>Copyright 2024</footer></body></html>
HTML
printf '<html><head><meta charset="windows-1252"></head><body><p>Caf\xe9 cr\xe8me \x93quoted\x94 \x80 5</p></body></html>\n' > site/latin1.html
printf 'Plain notes.\nSecond line.\n' > site/notes.txt
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' > site/image.png
printf '<html><body><p>Sub page</p></body></html>\n' > site/sub/index.html

python3 -u -m http.server 0 --bind 127.0.0.1 --directory site > server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' server.log | head -1)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "http.server did not start: $(cat server.log)" >&2; exit 1; }
crawl() { # warc-name extra-options...
    local name="$1"
    shift
    # wget exits 8 when a page is missing (the 404 is on purpose).
    wget -q -r -l 2 -e robots=off --no-host-directories -P "dl-$name" --warc-file="$name" \
        "$@" "http://127.0.0.1:$port/" || [ $? -eq 8 ]
}
crawl site
crawl site-plain --no-warc-compression
echo "$port" > port
