// Reference token ids from the npm `tiktoken` package (wasm build of OpenAI's tiktoken).
// Usage: node tiktoken_ref.js ENCODING INPUT OUTPUT
//   ENCODING: gpt2 | r50k_base | p50k_base | cl100k_base | o200k_base
//   INPUT: a UTF-8 text file; OUTPUT: the ids of encode_ordinary(text) as uint32 LE.
// Text is decoded with TextDecoder (invalid bytes become U+FFFD), as any JS caller would.
'use strict';
const fs = require('fs');
const path = require('path');
const modules = process.env.MNEMO_NODE_MODULES;
const { Tiktoken } = require(path.join(modules, 'tiktoken', 'lite', 'tiktoken.cjs'));
const [encoding, input, output] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(path.join(modules, 'tiktoken', 'encoders', encoding + '.json')));
const enc = new Tiktoken(spec.bpe_ranks, spec.special_tokens, spec.pat_str);
const text = new TextDecoder('utf-8').decode(fs.readFileSync(input));
const t0 = process.hrtime.bigint();
const ids = enc.encode_ordinary(text);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
fs.writeFileSync(output, Buffer.from(new Uint32Array(ids).buffer));
process.stderr.write(`${encoding}: ${ids.length} ids in ${seconds.toFixed(2)} s\n`);
enc.free();
