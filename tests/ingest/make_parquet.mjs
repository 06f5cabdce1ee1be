// Writes the parquet test files of the reader tests with two independent writers from the
// npm registry (pinned in tests/reference/package.json), and the rows they hold as JSON:
//
//   node make_parquet.mjs OUTDIR [--small]   (MNEMO_NODE_MODULES names the node_modules folder)
//
// --small writes a few files of 12 short rows (seeds for the parquet fuzz target).
//
// parquet-wasm (Rust's parquet crate): every codec the reader supports (uncompressed, snappy,
// gzip, zstd) x writer version 1 (data pages v1) and 2 (data pages v2) x dictionary on and
// off; with dictionary off and version 2 the crate falls back to DELTA_BYTE_ARRAY strings,
// DELTA_BINARY_PACKED integers and RLE booleans. Plus DELTA_LENGTH_BYTE_ARRAY text, and a
// file of many small pages and row groups.
// hyparquet-writer (pure JavaScript, data pages v2): snappy with automatic dictionaries,
// uncompressed, gzip (node's zlib), DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY text and
// BYTE_STREAM_SPLIT doubles.
// OUTDIR/expected.json holds the rows (text null where the row has no text).
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const out = process.argv[2]
const small = process.argv.includes('--small')
const modules = process.env.MNEMO_NODE_MODULES
if (!out || !modules) {
  console.error('usage: MNEMO_NODE_MODULES=DIR node make_parquet.mjs OUTDIR')
  process.exit(2)
}
fs.mkdirSync(out, { recursive: true })
const require = createRequire(path.join(modules, 'x.js'))
const arrow = require('apache-arrow')
const wasm = require('parquet-wasm/node')
const hyparquet = await import(pathToFileURL(path.join(modules, 'hyparquet-writer/src/index.js')))

// Deterministic rows: short and long texts, unicode, repeats (dictionary hits), empty
// strings, null texts and urls.
let seed = 12345
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'café', 'naïve',
  'Straße', '日本語', 'emoji 😀', 'tab\there', 'quote "q"', 'back\\slash', 'line\nbreak']
const rows = []
for (let i = 0; i < (small ? 12 : 240); i++) {
  let text
  if (i % 17 === 5) text = null
  else if (i % 23 === 7) text = ''
  else if (i % 11 === 3) text = 'A repeated document.'
  else {
    const n = small ? 1 + (i % 4) : i % 5 === 0 ? 400 + Math.floor(random() * 600)
      : 3 + Math.floor(random() * 30)
    const parts = [`Document ${i}:`]
    for (let k = 0; k < n; k++) parts.push(words[Math.floor(random() * words.length)])
    text = parts.join(' ')
  }
  rows.push({
    text,
    id: `doc-${String(i).padStart(4, '0')}`,
    url: i % 7 === 0 ? null : `https://example.com/page/${i}`,
    token_count: BigInt((i * 37) % 1000),
    score: i / 7,
    flag: i % 3 === 0,
  })
}
fs.writeFileSync(path.join(out, 'expected.json'), JSON.stringify(rows.map(r => ({
  text: r.text, id: r.id, url: r.url, token_count: Number(r.token_count), score: r.score,
  flag: r.flag,
}))))

// parquet-wasm: an Arrow table through IPC into the Rust writer.
const table = arrow.tableFromArrays({
  text: arrow.vectorFromArray(rows.map(r => r.text), new arrow.Utf8()),
  id: arrow.vectorFromArray(rows.map(r => r.id), new arrow.Utf8()),
  url: arrow.vectorFromArray(rows.map(r => r.url), new arrow.Utf8()),
  token_count: arrow.vectorFromArray(rows.map(r => r.token_count), new arrow.Int64()),
  score: arrow.vectorFromArray(rows.map(r => r.score), new arrow.Float64()),
  flag: arrow.vectorFromArray(rows.map(r => r.flag), new arrow.Bool()),
})
const ipc = arrow.tableToIPC(table, 'stream')
const written = []
const seeds = ['wasm-snappy-v1-dict.parquet', 'wasm-zstd-v2-plain.parquet',
  'wasm-gzip-v1-plain.parquet', 'wasm-uncompressed-v2-dict.parquet',
  'wasm-delta-length-v1.parquet', 'hyp-delta-bytes.parquet', 'hyp-delta-length.parquet']
function writeWasm(name, configure) {
  if (small && !seeds.includes(name)) return
  let builder = new wasm.WriterPropertiesBuilder()
  builder = configure(builder)
  const bytes = wasm.writeParquet(wasm.Table.fromIPCStream(ipc), builder.build())
  fs.writeFileSync(path.join(out, name), bytes)
  written.push(name)
}
const codecs = { uncompressed: wasm.Compression.UNCOMPRESSED, snappy: wasm.Compression.SNAPPY,
  gzip: wasm.Compression.GZIP, zstd: wasm.Compression.ZSTD }
for (const [codecName, codec] of Object.entries(codecs)) {
  for (const version of ['v1', 'v2']) {
    for (const dictionary of [true, false]) {
      writeWasm(`wasm-${codecName}-${version}-${dictionary ? 'dict' : 'plain'}.parquet`, b =>
        b.setCompression(codec)
          .setWriterVersion(version === 'v1' ? wasm.WriterVersion.V1 : wasm.WriterVersion.V2)
          .setDictionaryEnabled(dictionary))
    }
  }
}
for (const version of ['v1', 'v2']) {
  writeWasm(`wasm-delta-length-${version}.parquet`, b =>
    b.setCompression(wasm.Compression.SNAPPY).setDictionaryEnabled(false)
      .setWriterVersion(version === 'v1' ? wasm.WriterVersion.V1 : wasm.WriterVersion.V2)
      .setColumnEncoding('text', wasm.Encoding.DELTA_LENGTH_BYTE_ARRAY))
}
writeWasm('wasm-small-pages.parquet', b =>
  b.setCompression(wasm.Compression.ZSTD).setDataPageSizeLimit(512).setWriteBatchSize(4)
    .setDictionaryPageSizeLimit(256).setMaxRowGroupSize(50))

// hyparquet-writer: columns straight from JavaScript arrays.
function columns(textEncoding, scoreEncoding) {
  return [
    { name: 'text', data: rows.map(r => r.text), type: 'STRING', nullable: true,
      encoding: textEncoding },
    { name: 'id', data: rows.map(r => r.id), type: 'STRING', nullable: false },
    { name: 'url', data: rows.map(r => r.url), type: 'STRING', nullable: true },
    { name: 'token_count', data: rows.map(r => r.token_count), type: 'INT64', nullable: false },
    { name: 'score', data: rows.map(r => r.score), type: 'DOUBLE', nullable: false,
      encoding: scoreEncoding },
    { name: 'flag', data: rows.map(r => r.flag), type: 'BOOLEAN', nullable: false },
  ]
}
function writeHyparquet(name, options) {
  if (small && !seeds.includes(name)) return
  const buffer = hyparquet.parquetWriteBuffer(options)
  fs.writeFileSync(path.join(out, name), Buffer.from(buffer))
  written.push(name)
}
writeHyparquet('hyp-snappy.parquet', { columnData: columns() })
writeHyparquet('hyp-uncompressed.parquet', { columnData: columns(), codec: 'UNCOMPRESSED',
  rowGroupSize: 100, pageSize: 2048 })
writeHyparquet('hyp-gzip.parquet', { columnData: columns(), codec: 'GZIP',
  compressors: { GZIP: input => new Uint8Array(zlib.gzipSync(input)) } })
writeHyparquet('hyp-delta-length.parquet', { columnData: columns('DELTA_LENGTH_BYTE_ARRAY',
  'BYTE_STREAM_SPLIT') })
writeHyparquet('hyp-delta-bytes.parquet', { columnData: columns('DELTA_BYTE_ARRAY') })
fs.writeFileSync(path.join(out, 'files.txt'), written.join('\n') + '\n')
