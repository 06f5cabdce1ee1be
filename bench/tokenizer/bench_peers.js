// Encode throughput of the peers on the same text: tiktoken's native Rust build
// (@anysphere/tiktoken-node) and the npm `tiktoken` package (wasm). Prints one JSON line
// per peer with MB/s and the xxh64-free checksum input written to IDS_OUT (uint32 LE).
// Usage: node bench_peers.js ENCODING TEXT REPEAT OUT_PREFIX [native|wasm|both]
'use strict';
const fs = require('fs');
const path = require('path');
const modules = process.env.MNEMO_NODE_MODULES;
const [encoding, input, repeatArg, outPrefix, which = 'both'] = process.argv.slice(2);
const repeat = Number(repeatArg || 3);
const buffer = fs.readFileSync(input);
const text = new TextDecoder('utf-8').decode(buffer);
const mb = buffer.length / 1e6;

async function native() {
  const t = require(path.join(modules, '@anysphere', 'tiktoken-node'));
  const which = { cl100k_base: t.SupportedEncoding.Cl100k, o200k_base: t.SupportedEncoding.O200k }[encoding];
  if (which === undefined) return null; // tiktoken-node has no gpt2
  const tk = t.getTokenizer();
  let ids;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++)
    ids = await tk.encode(text, which, t.SpecialTokenAction.NormalText, []);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.writeFileSync(outPrefix + '.native.bin', Buffer.from(new Uint32Array(ids).buffer));
  return { tool: 'tiktoken-node (native)', ids: ids.length, seconds: s / repeat, mb_per_s: mb * repeat / s };
}

function wasm() {
  const { Tiktoken } = require(path.join(modules, 'tiktoken', 'lite', 'tiktoken.cjs'));
  const spec = JSON.parse(fs.readFileSync(path.join(modules, 'tiktoken', 'encoders', encoding + '.json')));
  const enc = new Tiktoken(spec.bpe_ranks, spec.special_tokens, spec.pat_str);
  let ids;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) ids = enc.encode_ordinary(text);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.writeFileSync(outPrefix + '.wasm.bin', Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength));
  enc.free();
  return { tool: 'tiktoken (wasm)', ids: ids.length, seconds: s / repeat, mb_per_s: mb * repeat / s };
}

(async () => {
  if (which !== 'wasm') { const r = await native(); if (r) console.log(JSON.stringify(r)); }
  if (which !== 'native') console.log(JSON.stringify(wasm()));
})();
