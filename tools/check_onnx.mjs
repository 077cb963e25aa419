// Checks the exported aios-tiny model against test/fixtures/reference-greedy.json:
//  1. onnxruntime-node, manual KV-cached greedy loop on onnx/model.onnx (must match exactly)
//     and on onnx/model_quantized.onnx (reported, not required to match), and on onnx/model_cpu.onnx
//     (tools/optimize_onnx.mjs's copy, must match);
//  2. @huggingface/transformers: tokenizer (chat template + ids + decode) and
//     AutoModelForCausalLM.generate() greedy ids for dtype fp32 (must match) and q8 (reported).
// Fixture `cases` are rendered without tools, `tool_cases` with apply_chat_template(messages,
// { tools, add_generation_prompt: true }) (their OpenAI tool entries are in the fixture).
// Usage (repo root):  node tools/check_onnx.mjs        exit code 1 on any required mismatch.
// AIOS_MODEL_DIR=/x/aios-tiny AIOS_FIXTURE=/x/reference-greedy.json check another export.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_DIR = path.resolve(process.env.AIOS_MODEL_DIR ?? path.join(ROOT, 'public/models/aios-tiny'));
const fixture = JSON.parse(fs.readFileSync(process.env.AIOS_FIXTURE ?? path.join(ROOT, 'test/fixtures/reference-greedy.json'), 'utf8'));
const ALL_CASES = [...fixture.cases, ...(fixture.tool_cases ?? [])];
const chatOptions = (c) => (c.tools ? { tools: c.tools } : {});
const config = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8'));
const L = config.num_hidden_layers, H = config.num_key_value_heads, D = config.head_dim;
const EOS = config.eos_token_id;
const MAX_NEW = fixture.max_new_tokens;

let failures = 0;
const fail = (msg) => { failures++; console.log('  FAIL ' + msg); };
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const i64 = (arr, dims) => new ort.Tensor('int64', BigInt64Array.from(arr.map(BigInt)), dims);

function argmaxLast(logits) {
  const [, s, v] = logits.dims;
  const data = logits.data;
  let best = 0, bv = -Infinity;
  for (let j = 0; j < v; j++) { const x = data[(s - 1) * v + j]; if (x > bv) { bv = x; best = j; } }
  return best;
}

async function ortGreedy(session, promptIds) {
  let past = {};
  for (let i = 0; i < L; i++) for (const kv of ['key', 'value'])
    past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
  let ids = promptIds, total = 0;
  const out = [];
  for (let step = 0; step < MAX_NEW; step++) {
    const s = ids.length;
    const feeds = {
      input_ids: i64(ids, [1, s]),
      attention_mask: i64(new Array(total + s).fill(1), [1, total + s]),
      position_ids: i64(Array.from({ length: s }, (_, k) => total + k), [1, s]),
      ...past,
    };
    const res = await session.run(feeds);
    total += s;
    const next = argmaxLast(res.logits);
    out.push(next);
    if (next === EOS) break;
    past = {};
    for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) past[`past_key_values.${i}.${kv}`] = res[`present.${i}.${kv}`];
    ids = [next];
  }
  return out;
}

async function checkOrt(file, required) {
  console.log(`\n[onnxruntime-node] ${file}`);
  const session = await ort.InferenceSession.create(path.join(MODEL_DIR, 'onnx', file));
  if (required) {
    const meta = session.inputMetadata ?? [];
    for (const m of Array.isArray(meta) ? meta : Object.values(meta))
      if (m.name?.startsWith('past_key_values.0.')) console.log(`  input ${m.name} shape ${JSON.stringify(m.shape)} ${m.type}`);
  }
  let agree = 0;
  for (const c of ALL_CASES) {
    const got = await ortGreedy(session, c.prompt_ids);
    if (eq(got, c.output_ids)) { agree++; console.log(`  ok   ${c.name} (${got.length} tokens)`); }
    else if (required) fail(`${c.name}: expected ${JSON.stringify(c.output_ids)} got ${JSON.stringify(got)}`);
    else {
      let k = 0; while (k < got.length && got[k] === c.output_ids[k]) k++;
      console.log(`  diff ${c.name}: first ${k}/${c.output_ids.length} ids agree`);
    }
  }
  console.log(`  ${agree}/${ALL_CASES.length} cases identical`);
  return session;
}

async function checkPadding(session) {
  // Two prompts of different length in one left-padded batch: the last-position logits
  // of each row must match the single-row run (validates attention_mask handling).
  console.log('\n[onnxruntime-node] batched left padding');
  const a = fixture.cases[0].prompt_ids, b = fixture.cases[2].prompt_ids;
  const S = Math.max(a.length, b.length);
  const rows = [a, b].map((r) => [...new Array(S - r.length).fill(config.pad_token_id), ...r]);
  const masks = [a, b].map((r) => [...new Array(S - r.length).fill(0), ...new Array(r.length).fill(1)]);
  const pos = masks.map((m) => { let c = 0; return m.map((x) => (x ? c++ : 1)); });
  const empty = {};
  for (let i = 0; i < L; i++) for (const kv of ['key', 'value'])
    empty[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [2, H, 0, D]);
  const res = await session.run({
    input_ids: i64(rows.flat(), [2, S]), attention_mask: i64(masks.flat(), [2, S]), position_ids: i64(pos.flat(), [2, S]), ...empty,
  });
  const V = res.logits.dims[2];
  for (const [r, ids] of [[0, a], [1, b]]) {
    const single = await session.run({
      input_ids: i64(ids, [1, ids.length]), attention_mask: i64(new Array(ids.length).fill(1), [1, ids.length]),
      position_ids: i64(ids.map((_, k) => k), [1, ids.length]),
      ...Object.fromEntries(Object.keys(empty).map((k) => [k, new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D])])),
    });
    let maxd = 0;
    const x = res.logits.data.subarray((r * S + S - 1) * V, (r * S + S) * V);
    const y = single.logits.data.subarray((ids.length - 1) * V, ids.length * V);
    for (let j = 0; j < V; j++) maxd = Math.max(maxd, Math.abs(x[j] - y[j]));
    if (maxd > 1e-3) fail(`padded row ${r} logits differ by ${maxd}`); else console.log(`  ok   row ${r} max |diff| ${maxd.toExponential(2)}`);
  }
}

// The chat template vs its Python mirror (aios_data.render) on edge cases: the expected strings
// are written out here, so a drift on either side fails.
function checkTemplateMirror(tok) {
  const DEFAULT = 'You are AIOS, a helpful assistant inside a browser operating system.';
  const fn = (name) => ({ type: 'function', function: { name, description: name, parameters: { type: 'object', properties: {} } } });
  const u = { role: 'user', content: 'hi' };
  const cases = [
    [[u], undefined, `<|im_start|>system\n${DEFAULT}<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n`],
    [[u], [], `<|im_start|>system\n${DEFAULT}<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n`],
    [[u], [fn('calculator'), fn('web.read')], `<|im_start|>system\n${DEFAULT}\n\nTools: calculator, web.read<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n`],
    [[{ role: 'system', content: 'You are a travel planner.' }, u, { role: 'assistant', content: '<tool_call>{"name": "clock", "arguments": {}}</tool_call>' }, { role: 'tool', content: '{"a":1}' }],
      [fn('clock')], '<|im_start|>system\nYou are a travel planner.\n\nTools: clock<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<tool_call>{"name": "clock", "arguments": {}}</tool_call><|im_end|>\n<|im_start|>tool\n{"a":1}<|im_end|>\n<|im_start|>assistant\n'],
    [[u, { role: 'system', content: 'late' }], [fn('js')], `<|im_start|>system\n${DEFAULT}\n\nTools: js<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>system\nlate<|im_end|>\n<|im_start|>assistant\n`],
  ];
  for (const [messages, tools, want] of cases) {
    const got = tok.apply_chat_template(messages, { ...(tools ? { tools } : {}), add_generation_prompt: true, tokenize: false });
    if (got !== want) fail(`template edge case: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
  }
  console.log(`  chat template edge cases (no tools, [], tools, custom system + tool message, later system): ${cases.length} checked`);
}

async function checkTransformers() {
  console.log('\n[@huggingface/transformers]');
  const { env, AutoTokenizer, AutoModelForCausalLM } = await import('@huggingface/transformers');
  env.localModelPath = path.dirname(MODEL_DIR) + '/';
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const MODEL_ID = path.basename(MODEL_DIR);
  const tok = await AutoTokenizer.from_pretrained(MODEL_ID);

  for (const t of fixture.tokenizer_cases ?? []) {
    const ids = tok.encode(t.text, { add_special_tokens: false });
    if (!eq(ids, t.ids)) fail(`tokenizer ${JSON.stringify(t.text)}: expected ${JSON.stringify(t.ids)} got ${JSON.stringify(ids)}`);
    const back = tok.decode(ids, { skip_special_tokens: false });
    if (back !== t.text) fail(`decode round trip ${JSON.stringify(t.text)} -> ${JSON.stringify(back)}`);
  }
  console.log(`  tokenizer: ${fixture.tokenizer_cases?.length ?? 0} encode/decode cases checked`);

  for (const c of ALL_CASES) {
    const text = tok.apply_chat_template(c.messages, { ...chatOptions(c), add_generation_prompt: true, tokenize: false });
    if (c.prompt !== undefined && text !== c.prompt) fail(`${c.name}: rendered prompt differs:\n${JSON.stringify(text)}\n${JSON.stringify(c.prompt)}`);
    const ids = tok.apply_chat_template(c.messages, { ...chatOptions(c), add_generation_prompt: true, return_tensor: false, return_dict: false });
    if (!eq(ids, c.prompt_ids)) fail(`${c.name}: prompt ids differ`);
    const dec = tok.decode(c.output_ids, { skip_special_tokens: true });
    if (dec !== c.text) fail(`${c.name}: decoded text differs: ${JSON.stringify(dec)} vs ${JSON.stringify(c.text)}`);
  }
  console.log(`  chat template + prompt ids + decode: ${ALL_CASES.length} cases checked (${ALL_CASES.length - fixture.cases.length} with tools)`);
  checkTemplateMirror(tok);

  for (const dtype of ['fp32', 'q8']) {
    const model = await AutoModelForCausalLM.from_pretrained(MODEL_ID, { dtype });
    let agree = 0;
    for (const c of ALL_CASES) {
      const inputs = tok.apply_chat_template(c.messages, { ...chatOptions(c), add_generation_prompt: true, return_dict: true });
      const out = await model.generate({ ...inputs, max_new_tokens: MAX_NEW, do_sample: false });
      const all = Array.from(out.tolist()[0], Number);
      const gen = all.slice(c.prompt_ids.length);
      if (eq(gen, c.output_ids)) { agree++; continue; }
      if (dtype === 'fp32') fail(`transformers.js fp32 ${c.name}: expected ${JSON.stringify(c.output_ids)} got ${JSON.stringify(gen)}`);
      else {
        let k = 0; while (k < gen.length && gen[k] === c.output_ids[k]) k++;
        console.log(`  q8 diff ${c.name}: first ${k}/${c.output_ids.length} ids agree -> ${JSON.stringify(tok.decode(gen, { skip_special_tokens: true }))}`);
      }
    }
    console.log(`  generate() dtype ${dtype}: ${agree}/${ALL_CASES.length} cases identical to the torch reference`);
    if (dtype === 'fp32') for (const c of fixture.tool_cases ?? [])
      console.log(`    ${c.name} [${c.tools.map((t) => t.function.name).join(', ')}] ${JSON.stringify(c.messages.at(-1).content)} -> ${JSON.stringify(c.text)}`);
    await model.dispose?.();
  }
}

const fp32 = await checkOrt('model.onnx', true);
await checkPadding(fp32);
await checkOrt('model_quantized.onnx', false);
// The copies tools/optimize_onnx.mjs optimized for the CPU kernels (what wasm and Node load).
if (fs.existsSync(path.join(MODEL_DIR, 'onnx', 'model_cpu.onnx'))) await checkOrt('model_cpu.onnx', true);
else fail('onnx/model_cpu.onnx is missing: run node tools/optimize_onnx.mjs');
await checkTransformers();
console.log(failures ? `\n${failures} FAILURE(S)` : '\nALL REQUIRED CHECKS PASSED');
process.exit(failures ? 1 : 0);
