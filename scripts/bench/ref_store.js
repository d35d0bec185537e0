'use strict';
// ref_store.js: the reference library (earthstar 5.7.6, through the interop
// kit) ingesting the documents that store_bench ingests: into its
// StorageMemory and its StorageSqlite (a file on disk, the library's default
// settings), then the same documents again (all already stored).
//
//   node ref_store.js --docs FILE [--n-memory N] [--n-sqlite K] [--reps R]
//                     [--sqlite-reps S] [--batch B] [--now MICROS] [--dir DIR]
//
// --docs: the JSON array that `store_bench gen --json` wrote (path order).
// The first N documents go into StorageMemory (R fresh storages; the median
// counts), the first K into StorageSqlite (S fresh files in DIR). The
// reference has no batch ingest: documents are handed to ingestDocument(doc,
// now) one by one, B at a time (the batch only matters for the progress
// line), exactly as its syncers do. Every document must be ACCEPTED the first
// time and IGNORED the second.
//
// One JSON object per measurement on stdout (same shape as store_bench's);
// progress on stderr. Exit 1 on any unexpected result.

const fs = require('fs');
const os = require('os');
const path = require('path');

const KIT = process.env.ES4_INTEROP_KIT ||
  path.join(__dirname, '..', '..', '..', 'shared', 'interop');

const DEFAULT_NOW = 1767229200000000;  // 2026-01-01T01:00:00Z in µs, as store_bench
const WORKSPACE = '+bench.esfs';

function usage(why) {
  process.stderr.write(`ref_store.js: ${why}\nusage: node ref_store.js --docs FILE [--n-memory N] [--n-sqlite K] ` +
    '[--reps R] [--sqlite-reps S] [--batch B] [--now MICROS] [--dir DIR]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { docs: null, nMemory: 10000, nSqlite: 0, reps: 3, sqliteReps: 1, batch: 1000, now: DEFAULT_NOW, dir: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { if (i + 1 >= argv.length) usage(`missing value for ${a}`); return argv[++i]; };
    if (a === '--docs') o.docs = value();
    else if (a === '--n-memory') o.nMemory = parseInt(value(), 10);
    else if (a === '--n-sqlite') o.nSqlite = parseInt(value(), 10);
    else if (a === '--reps') o.reps = parseInt(value(), 10);
    else if (a === '--sqlite-reps') o.sqliteReps = parseInt(value(), 10);
    else if (a === '--batch') o.batch = parseInt(value(), 10);
    else if (a === '--now') o.now = Number(value());
    else if (a === '--dir') o.dir = value();
    else usage(`unknown argument ${a}`);
  }
  if (!o.docs) usage('--docs is required');
  if (!(o.reps >= 1 && o.sqliteReps >= 1 && o.batch >= 1)) usage('--reps, --sqlite-reps and --batch must be >= 1');
  return o;
}

function median(xs) {
  const v = xs.slice().sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function now() { return process.hrtime.bigint(); }
function since(t0) { return Number(process.hrtime.bigint() - t0) / 1e9; }

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

let failures = 0;

function emit(op, n, secs, cpu, failed, extra) {
  const med = median(secs);
  let wall = 0;
  for (const s of secs) wall += s;
  failures += failed;
  process.stdout.write(JSON.stringify(Object.assign({
    impl: 'reference', op, n, threads: 1, reps: secs.length,
    seconds: secs.map((s) => Number(s.toFixed(6))),
    median_s: Number(med.toFixed(6)), rate: Number((n / med).toFixed(1)),
    cpu_per_wall: Number((cpu / wall).toFixed(2)), failures: failed,
  }, extra || {})) + '\n');
  process.stderr.write(`ref_store.js: ${op.padEnd(22)} n=${String(n).padEnd(8)} ${(n / med).toFixed(0).padStart(10)} /s` +
    (failed ? '  FAILURES!' : '') + '\n');
}

// Hands docs[0, n) to storage.ingestDocument; returns how many did not give |want|.
function ingestAll(storage, docs, n, batch, nowMicros, want, firstError) {
  let bad = 0;
  for (let from = 0; from < n; from += batch) {
    const to = Math.min(n, from + batch);
    for (let k = from; k < to; k++) {
      const r = storage.ingestDocument(docs[k], nowMicros);
      if (r !== want) {
        bad++;
        if (!firstError.text) firstError.text = `${docs[k].path}: ${r && r.message ? r.message : String(r)}`;
      }
    }
  }
  return bad;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { load } = require(path.join(KIT, 'kitdeps'));
  const kit = load({ sqlite: opts.nSqlite > 0 });
  const es = kit.es5;
  const docs = JSON.parse(fs.readFileSync(opts.docs, 'utf8'));
  const need = Math.max(opts.nMemory, opts.nSqlite);
  if (docs.length < need) usage(`${opts.docs} has ${docs.length} documents, ${need} needed`);
  const firstError = { text: '' };

  // Warm-up (JIT, sodium init) on a throw-away storage; untimed.
  {
    const warm = new es.StorageMemory([es.ValidatorEs4], WORKSPACE);
    ingestAll(warm, docs, Math.min(1000, docs.length), opts.batch, opts.now, es.WriteResult.Accepted, firstError);
  }

  if (opts.nMemory > 0) {
    const n = opts.nMemory;
    let storage = null;
    const secs = [];
    let bad = 0;
    let cpu0 = cpuSeconds();
    for (let r = 0; r < opts.reps; r++) {
      storage = new es.StorageMemory([es.ValidatorEs4], WORKSPACE);
      const t0 = now();
      bad += ingestAll(storage, docs, n, opts.batch, opts.now, es.WriteResult.Accepted, firstError);
      secs.push(since(t0));
    }
    emit('ingest_memory', n, secs, cpuSeconds() - cpu0, bad);
    const again = [];
    bad = 0;
    cpu0 = cpuSeconds();
    for (let r = 0; r < opts.reps; r++) {
      const t0 = now();
      bad += ingestAll(storage, docs, n, opts.batch, opts.now, es.WriteResult.Ignored, firstError);
      again.push(since(t0));
    }
    emit('reingest_memory', n, again, cpuSeconds() - cpu0, bad);
    storage.close();
  }

  if (opts.nSqlite > 0) {
    const n = opts.nSqlite;
    const dir = opts.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'ref-store-'));
    fs.mkdirSync(dir, { recursive: true });
    const secs = [];
    const again = [];
    let bad = 0;
    let badAgain = 0;
    let bytes = 0;
    let cpuIngest = 0;
    let cpuAgain = 0;
    for (let r = 0; r < opts.sqliteReps; r++) {
      const filename = path.join(dir, `ref-${r}.sqlite`);
      for (const f of [filename, `${filename}-journal`]) fs.rmSync(f, { force: true });
      const storage = new es.StorageSqlite({
        mode: 'create', workspace: WORKSPACE, validators: [es.ValidatorEs4], filename,
      });
      let c0 = cpuSeconds();
      let t0 = now();
      bad += ingestAll(storage, docs, n, opts.batch, opts.now, es.WriteResult.Accepted, firstError);
      secs.push(since(t0));
      cpuIngest += cpuSeconds() - c0;
      c0 = cpuSeconds();
      t0 = now();
      badAgain += ingestAll(storage, docs, n, opts.batch, opts.now, es.WriteResult.Ignored, firstError);
      again.push(since(t0));
      cpuAgain += cpuSeconds() - c0;
      storage.close();
      bytes = fs.statSync(filename).size;
      fs.rmSync(filename, { force: true });
    }
    if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
    emit('ingest_sqlite', n, secs, cpuIngest, bad, { sqlite_bytes: bytes });
    emit('reingest_sqlite', n, again, cpuAgain, badAgain);
  }

  process.stdout.write(JSON.stringify({
    impl: 'reference', op: 'info', earthstar: kit.versions.earthstar, node: process.version,
    max_rss: process.resourceUsage().maxRSS * 1024, failures,
  }) + '\n');
  if (failures) {
    process.stderr.write(`ref_store.js: FAILED: ${failures} unexpected results; first: ${firstError.text}\n`);
    process.exit(1);
  }
}

main();
