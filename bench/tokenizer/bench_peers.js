// Encode throughput of the peers on the same text: tiktoken's native Rust build
// (@anysphere/tiktoken-node; one core, and two: the text's halves, cut at a line end,
// encoded at once on its worker threads) and the npm `tiktoken` package (wasm, one core).
// Prints one JSON line per measurement and writes the ids to OUT_PREFIX.{native,wasm}.bin
// (uint32 LE) for comparison. Usage: node bench_peers.js ENCODING TEXT REPEAT OUT_PREFIX
'use strict';
const fs = require('fs');
const path = require('path');
const modules = process.env.MNEMO_NODE_MODULES;
const [encoding, input, repeatArg, outPrefix, which = 'both'] = process.argv.slice(2);
// (the 2-core native measurement splits the text; ids are compared on the 1-core run)
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
  const half = text.indexOf('\n', text.length >> 1) + 1 || text.length;
  const parts = [text.slice(0, half), text.slice(half)];
  const t1 = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++)
    await Promise.all(parts.map((p) => tk.encode(p, which, t.SpecialTokenAction.NormalText, [])));
  const s2 = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(JSON.stringify({ tool: 'native-2', mb_per_s: mb * repeat / s2 }));
  return { tool: 'native', ids: ids.length, seconds: s / repeat, mb_per_s: mb * repeat / s };
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
  return { tool: 'wasm', ids: ids.length, seconds: s / repeat, mb_per_s: mb * repeat / s };
}

(async () => {
  if (which !== 'wasm') { const r = await native(); if (r) console.log(JSON.stringify(r)); }
  if (which !== 'native') console.log(JSON.stringify(wasm()));
})();
