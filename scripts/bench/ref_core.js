'use strict';
// ref_core.js: the reference library (earthstar 5.7.6, through the interop
// kit) doing the same work as core_bench: sign, hash and validate N es.4
// documents built exactly like core_bench builds them.
//
//   node ref_core.js [--n N] [--reps R] [--now MICROS] [--keypair FILE]
//
// --keypair: a reference keypair JSON ({address, secret}); core.sh passes the
// one core_bench wrote, so both sides sign identical documents with the same
// key and their "sig_digest" values must match. Without it a fresh keypair
// comes from es.generateAuthorKeypair('suzy').
//
// One JSON object per operation on stdout, same shape as core_bench's;
// progress on stderr. Exit 1 if any document fails to sign or validate.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const KIT = process.env.ES4_INTEROP_KIT ||
  path.join(__dirname, '..', '..', '..', 'shared', 'interop');

const BASE_TIMESTAMP = 1767225600000000;  // 2026-01-01T00:00:00Z in µs
const DEFAULT_NOW = 1767229200000000;     // one hour later
const CONTENT_BYTES = 200;
const WORKSPACE = '+bench.esfs';

function usage(why) {
  process.stderr.write(`ref_core.js: ${why}\nusage: node ref_core.js [--n N] [--reps R] [--now MICROS] [--keypair FILE]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { n: 10000, reps: 3, now: DEFAULT_NOW, keypair: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { if (i + 1 >= argv.length) usage('missing value'); return argv[++i]; };
    if (a === '--n') o.n = parseInt(value(), 10);
    else if (a === '--reps') o.reps = parseInt(value(), 10);
    else if (a === '--now') o.now = Number(value());
    else if (a === '--keypair') o.keypair = value();
    else usage(`unknown argument ${a}`);
  }
  if (!(o.n >= 1 && o.n <= 10000000)) usage('--n must be 1..10000000');
  if (!(o.reps >= 1 && o.reps <= 100)) usage('--reps must be 1..100');
  return o;
}

// Same generator as core_bench's MakeContent (32-bit LCG over 32 characters).
const CHARS = 'abcdefghijklmnopqrstuvwxyz      ';
function makeContent(i) {
  let content = `esfs benchmark document ${String(i).padStart(6, '0')}: `;
  let state = (Math.imul(i, 2654435761) + 12345) >>> 0;
  while (content.length < CONTENT_BYTES) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    content += CHARS[state >>> 27];
  }
  return content;
}

function median(xs) {
  const v = xs.slice().sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function seconds(f) {
  const t0 = process.hrtime.bigint();  // monotonic
  const r = f();
  const t1 = process.hrtime.bigint();
  return [Number(t1 - t0) / 1e9, r];
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  // The kit may print npm chatter; keep stdout for our JSON lines.
  const { load } = require(path.join(KIT, 'kitdeps'));
  const kit = load();
  const es = kit.es5;
  const V = es.ValidatorEs4;

  let keypair;
  if (opts.keypair) {
    keypair = JSON.parse(fs.readFileSync(opts.keypair, 'utf8'));
  } else {
    keypair = es.generateAuthorKeypair('suzy');
  }
  if (es.isErr(keypair)) throw new Error(`keypair: ${keypair.message}`);

  const n = opts.n;
  // Unsigned documents; contentHash and signature are filled in by "sign".
  const contents = new Array(n);
  const unsigned = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = k + 1;
    contents[k] = makeContent(i);
    unsigned[k] = {
      format: 'es.4',
      workspace: WORKSPACE,
      path: `/bench/doc-${String(i).padStart(6, '0')}.txt`,
      contentHash: '',
      content: contents[k],
      author: keypair.address,
      timestamp: BASE_TIMESTAMP + i,
      deleteAfter: null,
      signature: '',
    };
  }
  let signed = new Array(n);
  let failures = 0;
  let firstError = '';

  // sign = contentHash + signDocument, the same work as keys::Identity::Sign.
  const signOne = (k) => {
    const doc = unsigned[k];
    doc.contentHash = es.sha256base32(doc.content);
    const s = V.signDocument(keypair, doc);
    if (es.isErr(s)) {
      if (!firstError) firstError = `${doc.path}: sign: ${s.message}`;
      return 1;
    }
    signed[k] = s;
    return 0;
  };

  // Warm-up (JIT, wasm/sodium init); untimed, like core_bench's.
  for (let k = 0; k < Math.min(n, 1000); k++) signOne(k);

  const ops = [
    ['sign', () => { let f = 0; for (let k = 0; k < n; k++) f += signOne(k); return f; }],
    ['hash', () => {
      let f = 0;
      for (let k = 0; k < n; k++) {
        const h = V.hashDocument(signed[k]);
        if (es.isErr(h) || h.length !== 53) f++;
      }
      return f;
    }],
    ['validate', () => {
      let f = 0;
      for (let k = 0; k < n; k++) {
        const r = V.checkDocumentIsValid(signed[k], opts.now);
        if (r !== true) {
          if (!firstError) firstError = `${signed[k].path}: ${r.message}`;
          f++;
        }
      }
      return f;
    }],
  ];

  for (const [op, run] of ops) {
    const secs = [];
    let failed = 0;
    for (let r = 0; r < opts.reps; r++) {
      const [s, f] = seconds(run);
      secs.push(s);
      failed += f;
    }
    const med = median(secs);
    failures += failed;
    process.stdout.write(JSON.stringify({
      impl: 'reference', op, n, threads: 1, reps: opts.reps,
      seconds: secs.map((s) => Number(s.toFixed(6))),
      median_s: Number(med.toFixed(6)), rate: Number((n / med).toFixed(1)), failures: failed,
    }) + '\n');
    process.stderr.write(`ref_core.js: n=${n} ${op.padEnd(22)} ${(n / med).toFixed(0).padStart(10)} /s` +
      (failed ? '  FAILURES!' : '') + '\n');
  }

  const digest = crypto.createHash('sha256');
  for (const d of signed) digest.update(d.signature + '\n');
  process.stdout.write(JSON.stringify({
    impl: 'reference', op: 'info', n, now: opts.now, author: keypair.address,
    earthstar: kit.versions.earthstar, node: process.version,
    sig_digest: digest.digest('hex'), failures,
  }) + '\n');
  if (failures) {
    process.stderr.write(`ref_core.js: FAILED: ${failures} failures; first: ${firstError}\n`);
    process.exit(1);
  }
}

main();
