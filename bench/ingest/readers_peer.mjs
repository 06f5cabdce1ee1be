// Helper of bench_ingest_readers (docs/benchmarks.md, "## Ingest"), run under Node.js with the
// npm tools of tests/reference/package.json (MNEMO_NODE_MODULES):
//
//   node readers_peer.mjs write JSONL PARQUET   writes the JSONL corpus as parquet the way
//                                               FineWeb ships it (snappy, dictionaries on,
//                                               data pages v1) with parquet-wasm
//   node readers_peer.mjs read PARQUET          the peer reader: parquet-wasm reads the text,
//                                               id and url columns into Arrow, and the text
//                                               bytes are summed; prints "SECONDS CPU_SECONDS
//                                               BYTES ROWS", timed after module loading
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'

const modules = process.env.MNEMO_NODE_MODULES
const require = createRequire(path.join(modules, 'x.js'))
const arrow = require('apache-arrow')
const wasm = require('parquet-wasm/node')

const [mode, input, output] = process.argv.slice(2)
if (mode === 'write') {
  const columns = { text: [], id: [], url: [], date: [], language_score: [], token_count: [] }
  for (const line of fs.readFileSync(input, 'utf8').split('\n')) {
    if (!line) continue
    const doc = JSON.parse(line)
    for (const key of Object.keys(columns)) columns[key].push(doc[key])
  }
  const table = arrow.tableFromArrays({
    text: arrow.vectorFromArray(columns.text, new arrow.Utf8()),
    id: arrow.vectorFromArray(columns.id, new arrow.Utf8()),
    url: arrow.vectorFromArray(columns.url, new arrow.Utf8()),
    date: arrow.vectorFromArray(columns.date, new arrow.Utf8()),
    language_score: arrow.vectorFromArray(columns.language_score, new arrow.Float64()),
    token_count: arrow.vectorFromArray(columns.token_count.map(BigInt), new arrow.Int64()),
  })
  const properties = new wasm.WriterPropertiesBuilder()
    .setCompression(wasm.Compression.SNAPPY).setWriterVersion(wasm.WriterVersion.V1)
    .setMaxRowGroupSize(4096).build()
  const ipc = arrow.tableToIPC(table, 'stream')
  fs.writeFileSync(output, wasm.writeParquet(wasm.Table.fromIPCStream(ipc), properties))
} else if (mode === 'read') {
  const start = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  const bytes = fs.readFileSync(input)
  const options = { columns: ['text', 'id', 'url'] }
  const table = arrow.tableFromIPC(wasm.readParquet(bytes, options).intoIPCStream())
  let total = 0
  const text = table.getChild('text')
  for (const data of text.data) {
    // Summed from the offsets: the bytes are decoded into Arrow but not into JS strings.
    total += data.valueOffsets[data.length] - data.valueOffsets[0]
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  console.log(`${seconds} ${(used.user + used.system) / 1e6} ${total} ${table.numRows}`)
} else {
  console.error('usage: node readers_peer.mjs write JSONL PARQUET | read PARQUET')
  process.exit(2)
}
