// BPE training with Hugging Face tokenizers (npm `tokenizers`, native): the node binding
// trains with the model's default trainer (vocabulary 30,000, no special tokens), here with
// GPT-2's byte-level pre-tokenizer. Prints seconds and bytes per token on the same text.
// Usage: node bench_hf_train.js TEXT OUT_JSON
'use strict';
const fs = require('fs');
const path = require('path');
const hf = require(path.join(process.env.MNEMO_NODE_MODULES, 'tokenizers'));
const [input, out] = process.argv.slice(2);
(async () => {
  const tokenizer = new hf.Tokenizer(hf.BPE.empty());
  tokenizer.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
  tokenizer.setDecoder(hf.byteLevelDecoder ? hf.byteLevelDecoder() : hf.bpeDecoder());
  const t0 = process.hrtime.bigint();
  tokenizer.train([input]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  tokenizer.save(out);
  const buffer = fs.readFileSync(input);
  const enc = await tokenizer.encode(new TextDecoder().decode(buffer), null, { addSpecialTokens: false });
  const ids = enc.getIds().length;
  console.log(JSON.stringify({ tool: 'hf-tokenizers', vocab: tokenizer.getVocabSize(true), seconds, ids, bytes_per_token: buffer.length / ids }));
})().catch((e) => { console.error(e); process.exit(1); });
