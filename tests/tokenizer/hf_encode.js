// Token ids of a text from Hugging Face tokenizers (npm `tokenizers`, native Rust).
// Usage: node hf_encode.js TOKENIZER_JSON INPUT OUTPUT   (ids as uint32 LE)
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(process.env.MNEMO_NODE_MODULES, 'tokenizers'));
const [json, input, output] = process.argv.slice(2);
const tokenizer = Tokenizer.fromFile(json);
const text = new TextDecoder('utf-8').decode(fs.readFileSync(input));
(async () => {
  const t0 = process.hrtime.bigint();
  const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
  const ids = encoding.getIds();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.writeFileSync(output, Buffer.from(new Uint32Array(ids).buffer));
  process.stderr.write(`${path.basename(json)}: ${ids.length} ids in ${s.toFixed(2)} s\n`);
})().catch((e) => { console.error(e); process.exit(1); });
