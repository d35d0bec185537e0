// store_bench: how fast the LMDB document store (core/store.h) ingests,
// re-ingests and answers look-ups, next to bare libsodium verification of the
// same documents (the CPU limit). scripts/bench/store.sh runs its three
// sub-commands and the reference library (ref_store.js) and prints one table.
//
//   store_bench gen    --total M --out FILE [--json-n K --json FILE] [--threads T]
//   store_bench ingest --docs FILE --dir DIR --n N [--total M] [--reps R] [--batch B] [--only LIST]
//   store_bench lookup --dir DIR --total M [--lookups L] [--listings S]
//   (ingest and lookup also take --now MICROS, the store's fixed clock)
//
// gen     signs M documents with four identities on every core and writes
//         them to a binary file (and the first K as a JSON array for the
//         reference). Document i (0-based) lives at
//         /bench/dir-DDDD/doc-IIIIII.txt with DDDD = i / 100: every folder has
//         100 children, and the file is in path order (the order in which a
//         reference pub serves documents); 200-byte content; authors rotate
//         every 3 documents; timestamp 2026-01-01 + i + 1 µs.
// ingest  (1) bare libsodium Ed25519 verification of the first N documents on
//         one core and on every core, and core::ValidateBatch in batches of B
//         (one repetition of each right before each repetition of the
//         path-order ingest, so that their ratios see the same machine);
//         (2) ingest of those N into a fresh store with Store::IngestMany in
//         batches of B (two callers: IngestBatch per batch), R times (a
//         fresh store each time; the last is kept):
//         in path order, with two callers in parallel (batches alternate),
//         and in a shuffled order (each batch lands all over the key space);
//         (3) re-ingest of the same N in path order (all IGNORED), R times;
//         (4) ingest of documents N..M-1 in path order into the kept store,
//         so that it holds M documents for `lookup`. --only picks some of
//         verify,validate,shuffled,2callers,ingest,reingest,fill (profiling).
// lookup  opens the store in a fresh process: Winner on random paths, ListFolder
//         and QueryDocuments{pathPrefix} on random 100-child folders, then the
//         process's memory (/proc/self/status), the size of data.mdb and
//         its pages per LMDB database.
//
// The store runs with its default, durable settings (every commit synced),
// in DIR, which should be on a real disk: a tmpfs makes fsync free and is
// reported. The store's clock is fixed at 2026-01-01T01:00Z (--now), the
// same "now" the reference is given. One JSON object per measurement on
// stdout, progress on stderr. Exit status 1 if any document is not
// ACCEPTED / IGNORED / found as expected.

#include <lmdb.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base32.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/document.h"
#include "core/query.h"
#include "core/signing.h"
#include "core/store.h"
#include "core/validate.h"
#include "keys/identity.h"
#include "scripts/bench/parallel.h"
#include "scripts/bench/series.h"

namespace {

using esfs::core::Document;
namespace stdfs = std::filesystem;

constexpr int64_t kBaseTimestamp = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z in µs
constexpr int64_t kDefaultNow = 1'767'229'200'000'000;     // one hour later
constexpr size_t kContentBytes = 200;
constexpr size_t kChildrenPerFolder = 100;
constexpr const char* kWorkspace = "+bench.esfs";
constexpr const char* kShortnames[] = {"suzy", "matt", "anna", "bobo"};
constexpr std::string_view kFileMagic = "ESFSBENCHDOCS1\n";

int g_failures = 0;

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "store_bench: %s\nusage:\n"
               "  store_bench gen    --total M --out FILE [--json-n K --json FILE] [--threads T]\n"
               "  store_bench ingest --docs FILE --dir DIR --n N [--total M] [--reps R] [--batch B] [--now US]\n"
               "                     [--only verify,validate,shuffled,2callers,ingest,reingest,fill]\n"
               "  store_bench lookup --dir DIR --total M [--lookups L] [--listings S] [--now US]\n",
               why.c_str());
  std::exit(2);
}

struct Options {
  std::string command;
  size_t total = 0;
  size_t n = 0;
  size_t json_n = 0;
  std::string out, json, docs, dir;
  unsigned threads = 0;
  int reps = 3;
  size_t batch = 1000;
  size_t lookups = 10'000;
  size_t listings = 1'000;
  int64_t now = kDefaultNow;
  std::string only;  // ingest: a comma-separated subset of its measurements

  bool Runs(std::string_view what) const {
    if (only.empty()) return true;
    return ("," + only + ",").find("," + std::string(what) + ",") != std::string::npos;
  }
};

Options ParseOptions(int argc, char** argv) {
  if (argc < 2) Usage("missing sub-command");
  Options o;
  o.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage("missing value for " + std::string(a));
      return argv[++i];
    };
    auto number = [&]() { return static_cast<size_t>(std::strtoull(value(), nullptr, 10)); };
    if (a == "--total") o.total = number();
    else if (a == "--n") o.n = number();
    else if (a == "--json-n") o.json_n = number();
    else if (a == "--out") o.out = value();
    else if (a == "--json") o.json = value();
    else if (a == "--docs") o.docs = value();
    else if (a == "--dir") o.dir = value();
    else if (a == "--threads") o.threads = static_cast<unsigned>(number());
    else if (a == "--reps") o.reps = static_cast<int>(number());
    else if (a == "--batch") o.batch = number();
    else if (a == "--lookups") o.lookups = number();
    else if (a == "--listings") o.listings = number();
    else if (a == "--now") o.now = std::strtoll(value(), nullptr, 10);
    else if (a == "--only") o.only = value();
    else Usage("unknown argument " + std::string(a));
  }
  if (o.reps < 1 || o.reps > 100) Usage("--reps must be 1..100");
  if (o.batch < 1) Usage("--batch must be at least 1");
  return o;
}

// ---- documents ---------------------------------------------------------------

// The content of document i: a label, then pseudo-random lowercase words up
// to exactly 200 bytes (the generator of core_bench, seeded by i + 1).
std::string MakeContent(uint32_t i) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz      ";  // 32 entries
  char label[48];
  std::snprintf(label, sizeof label, "esfs store benchmark document %06u: ", i);
  std::string content = label;
  uint32_t state = (i + 1) * 2654435761u + 12345u;
  while (content.size() < kContentBytes) {
    state = state * 1664525u + 1013904223u;
    content.push_back(kChars[state >> 27]);
  }
  return content;
}

size_t FolderCount(size_t total) { return (total + kChildrenPerFolder - 1) / kChildrenPerFolder; }

std::string FolderPrefix(size_t folder) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "/bench/dir-%04zu/", folder);
  return prefix;
}

std::string PathOf(size_t i) {
  char path[64];
  std::snprintf(path, sizeof path, "/bench/dir-%04zu/doc-%06zu.txt", i / kChildrenPerFolder, i);
  return path;
}

std::vector<esfs::keys::Identity> MakeIdentities() {
  std::vector<esfs::keys::Identity> ids;
  for (const char* name : kShortnames) {
    const auto seed = esfs::core::Sha256(std::string("esfs store bench ") + name);
    auto id = esfs::keys::Identity::FromSeed(name, seed);
    if (!id.ok()) {
      std::fprintf(stderr, "store_bench: identity %s: %s\n", name, id.status().message().c_str());
      std::exit(1);
    }
    ids.push_back(std::move(id.value()));
  }
  return ids;
}

void PutString(std::string& out, std::string_view s) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  out.append(s);
}

// Sequential reader of the binary document file that `gen` writes.
class DocReader {
 public:
  explicit DocReader(const std::string& file) : in_(file, std::ios::binary) {
    std::string magic(kFileMagic.size(), '\0');
    in_.read(magic.data(), static_cast<std::streamsize>(magic.size()));
    uint64_t count = 0;
    in_.read(reinterpret_cast<char*>(&count), 8);
    if (!in_ || magic != kFileMagic) {
      std::fprintf(stderr, "store_bench: %s is not a document file of store_bench gen\n", file.c_str());
      std::exit(1);
    }
    count_ = count;
    std::getline(in_, workspace_, '\0');
  }
  size_t count() const { return count_; }

  // Up to |n| more documents.
  std::vector<Document> Read(size_t n) {
    std::vector<Document> docs;
    docs.reserve(std::min(n, count_ - read_));
    while (docs.size() < n && read_ < count_) {
      Document d;
      d.workspace = workspace_;
      in_.read(reinterpret_cast<char*>(&d.timestamp), 8);
      if (!Take(&d.path) || !Take(&d.author) || !Take(&d.contentHash) || !Take(&d.content) || !Take(&d.signature)) {
        std::fprintf(stderr, "store_bench: document file is truncated at document %zu\n", read_);
        std::exit(1);
      }
      docs.push_back(std::move(d));
      ++read_;
    }
    return docs;
  }

 private:
  bool Take(std::string* s) {
    uint32_t n = 0;
    in_.read(reinterpret_cast<char*>(&n), 4);
    if (!in_ || n > 8'000'000) return false;
    s->resize(n);
    in_.read(s->data(), n);
    return static_cast<bool>(in_);
  }
  std::ifstream in_;
  size_t count_ = 0;
  size_t read_ = 0;
  std::string workspace_;
};

// ---- measuring ------------------------------------------------------------

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

using esfs::bench::ProcessCpuSeconds;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Nearest-rank percentile of sorted |v|.
double Percentile(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// A "kB" line of /proc/self/status (VmHWM, VmRSS, RssAnon, RssFile), in bytes.
uint64_t StatusBytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t len = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':') {
      return std::strtoull(line.c_str() + len + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

std::string MemoryJson() {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"vm_hwm\":%" PRIu64 ",\"vm_rss\":%" PRIu64 ",\"rss_anon\":%" PRIu64 ",\"rss_file\":%" PRIu64,
                StatusBytes("VmHWM"), StatusBytes("VmRSS"), StatusBytes("RssAnon"), StatusBytes("RssFile"));
  return buf;
}

// One throughput measurement: |items| per run, |seconds| per run.
void EmitRate(const char* op, size_t items, unsigned threads, const std::vector<double>& seconds, double cpu_s,
              long failures, const std::string& extra = "") {
  double wall = 0;
  for (double s : seconds) wall += s;
  const double median = Median(seconds);
  std::printf("{\"impl\":\"esfs\",\"op\":\"%s\",\"n\":%zu,\"threads\":%u,\"reps\":%zu,\"seconds\":[", op, items,
              threads, seconds.size());
  for (size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.6f", i ? "," : "", seconds[i]);
  std::printf("],\"median_s\":%.6f,\"rate\":%.1f,\"cpu_per_wall\":%.2f,\"failures\":%ld%s%s}\n", median,
              static_cast<double>(items) / median, wall > 0 ? cpu_s / wall : 0.0, failures, extra.empty() ? "" : ",",
              extra.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "store_bench: %-26s n=%-8zu %10.0f /s  (cpu/wall %.2f)%s\n", op, items,
               static_cast<double>(items) / median, wall > 0 ? cpu_s / wall : 0.0, failures ? "  FAILURES!" : "");
  if (failures) g_failures += static_cast<int>(std::min<long>(failures, 1'000'000));
}

std::string LatencyJson(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double x : us) sum += x;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"count\":%zu,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,"
                "\"mean_us\":%.2f",
                us.size(), Percentile(us, 50), Percentile(us, 90), Percentile(us, 99), us.empty() ? 0 : us.back(),
                us.empty() ? 0 : sum / static_cast<double>(us.size()));
  return buf;
}

void EmitLatency(const char* op, const std::vector<double>& us, long failures, const std::string& extra = "") {
  std::vector<double> sorted = us;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"impl\":\"esfs\",\"op\":\"%s\",%s,\"failures\":%ld%s%s}\n", op, LatencyJson(us).c_str(), failures,
              extra.empty() ? "" : ",", extra.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "store_bench: %-26s count=%-6zu p50 %8.1f us  p99 %8.1f us  max %8.1f us%s\n", op, us.size(),
               Percentile(sorted, 50), Percentile(sorted, 99), sorted.empty() ? 0 : sorted.back(),
               failures ? "  FAILURES!" : "");
  if (failures) g_failures += static_cast<int>(std::min<long>(failures, 1'000'000));
}

using esfs::bench::Parallel;

const char* FileSystemWarning(const std::string& dir) {
  struct statfs st {};
  if (::statfs(dir.c_str(), &st) != 0) return "";
  constexpr long kTmpfsMagic = 0x01021994;
  constexpr long kRamfsMagic = 0x858458f6;
  if (st.f_type == kTmpfsMagic || st.f_type == kRamfsMagic) return "tmpfs";
  return "";
}

std::unique_ptr<esfs::core::Store> OpenStore(const std::string& dir, const esfs::core::Clock* clock) {
  esfs::core::StoreOptions options;
  options.data_dir = dir;
  options.clock = clock;
  auto store = esfs::core::Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "store_bench: open %s: %s\n", dir.c_str(), store.status().message().c_str());
    std::exit(1);
  }
  return std::move(store.value());
}

// ---- gen --------------------------------------------------------------------

int Gen(const Options& o) {
  if (o.total == 0 || o.out.empty()) Usage("gen needs --total and --out");
  if (o.json_n > o.total) Usage("--json-n must not exceed --total");
  const auto ids = MakeIdentities();
  const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
  std::ofstream json;
  if (o.json_n > 0) {
    if (o.json.empty()) Usage("--json-n needs --json FILE");
    json.open(o.json, std::ios::trunc);
    json << "[\n";
  }
  out.write(kFileMagic.data(), static_cast<std::streamsize>(kFileMagic.size()));
  const uint64_t count = o.total;
  out.write(reinterpret_cast<const char*>(&count), 8);
  out.write(kWorkspace, static_cast<std::streamsize>(std::strlen(kWorkspace) + 1));

  const auto t0 = SteadyClock::now();
  const double cpu0 = ProcessCpuSeconds();
  constexpr size_t kChunk = 50'000;
  std::string buffer;
  for (size_t begin = 0; begin < o.total; begin += kChunk) {
    const size_t end = std::min(o.total, begin + kChunk);
    std::vector<Document> docs(end - begin);
    Parallel(docs.size(), threads, [&](size_t b, size_t e) {
      for (size_t k = b; k < e; ++k) {
        const size_t i = begin + k;
        Document& d = docs[k];
        const auto& id = ids[(i / 3) % ids.size()];
        d.workspace = kWorkspace;
        d.path = PathOf(i);
        d.content = MakeContent(static_cast<uint32_t>(i));
        d.author = id.address();
        d.timestamp = kBaseTimestamp + static_cast<int64_t>(i) + 1;
        id.Sign(d);
      }
      return 0L;
    });
    buffer.clear();
    for (size_t k = 0; k < docs.size(); ++k) {
      const Document& d = docs[k];
      buffer.append(reinterpret_cast<const char*>(&d.timestamp), 8);
      PutString(buffer, d.path);
      PutString(buffer, d.author);
      PutString(buffer, d.contentHash);
      PutString(buffer, d.content);
      PutString(buffer, d.signature);
      const size_t i = begin + k;
      if (i < o.json_n) json << esfs::core::DocumentToJson(d).dump() << (i + 1 < o.json_n ? ",\n" : "\n");
    }
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::fprintf(stderr, "\rstore_bench: signed %zu / %zu documents", end, o.total);
  }
  std::fprintf(stderr, "\n");
  if (o.json_n > 0) json << "]\n";
  out.close();
  if (!out || (o.json_n > 0 && !json)) {
    std::fprintf(stderr, "store_bench: cannot write %s\n", o.out.c_str());
    return 1;
  }
  EmitRate("generate_sign", o.total, threads, {SecondsSince(t0)}, ProcessCpuSeconds() - cpu0, 0);
  return 0;
}

// ---- ingest -------------------------------------------------------------------

// Bare libsodium: what verifying these documents' signatures costs, given
// the messages (document hashes), keys and signatures already decoded.
struct BareInput {
  std::vector<std::string> messages;
  std::vector<esfs::core::Ed25519Signature> signatures;
  std::vector<esfs::core::Ed25519PublicKey> keys;
};

BareInput PrepareBare(const std::vector<Document>& docs) {
  BareInput in;
  in.messages.resize(docs.size());
  in.signatures.resize(docs.size());
  in.keys.resize(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    in.messages[i] = esfs::core::DocumentHash(docs[i]);
    auto sig = esfs::core::Base32Decode(docs[i].signature);
    if (!sig.ok() || sig->size() != 64 || !esfs::core::DecodeAuthorKey(docs[i].author, &in.keys[i])) {
      std::fprintf(stderr, "store_bench: document %zu has a malformed signature or author\n", i);
      std::exit(1);
    }
    std::memcpy(in.signatures[i].data(), sig->data(), 64);
  }
  return in;
}

struct Outcomes {
  long accepted = 0, ignored = 0, invalid = 0;
  std::string first_problem;
};

void Count(const std::vector<esfs::core::IngestOutcome>& outcomes, const Document* docs, Outcomes* o) {
  for (size_t k = 0; k < outcomes.size(); ++k) {
    const auto& out = outcomes[k];
    switch (out.result) {
      case esfs::core::IngestResult::kAccepted: ++o->accepted; break;
      case esfs::core::IngestResult::kIgnored: ++o->ignored; break;
      case esfs::core::IngestResult::kInvalid: ++o->invalid; break;
    }
    if (out.result == esfs::core::IngestResult::kInvalid && o->first_problem.empty()) {
      o->first_problem = docs[k].path + ": " + out.reason;
    }
  }
}

[[noreturn]] void IngestFailed(const esfs::Status& s) {
  std::fprintf(stderr, "store_bench: ingest failed: %s\n", s.message().c_str());
  std::exit(1);
}

// Ingests docs[begin, end) in batches of |batch|; adds the per-batch
// latencies (µs) to |batch_us| when given. One caller (stride 1) uses
// Store::IngestMany, which checks batch k+1 while it writes batch k; callers
// sharing the work (stride > 1, each its own first_batch) call
// Store::IngestBatch for every |stride|-th batch.
Outcomes IngestRange(esfs::core::Store& store, const std::vector<Document>& docs, size_t begin, size_t end,
                     size_t batch, std::vector<double>* batch_us, size_t stride = 1, size_t first_batch = 0) {
  Outcomes o;
  if (stride == 1 && first_batch == 0) {
    auto last = SteadyClock::now();
    auto outcomes = store.replica().IngestMany(kWorkspace, std::span<const Document>(docs.data() + begin, end - begin),
                                               batch, [&](size_t) {
                                                 if (batch_us) batch_us->push_back(SecondsSince(last) * 1e6);
                                                 last = SteadyClock::now();
                                               });
    if (!outcomes.ok()) IngestFailed(outcomes.status());
    Count(*outcomes, docs.data() + begin, &o);
    return o;
  }
  const size_t batches = (end - begin + batch - 1) / batch;
  for (size_t b = first_batch; b < batches; b += stride) {
    const size_t from = begin + b * batch, to = std::min(end, from + batch);
    const auto t0 = SteadyClock::now();
    auto outcomes = store.replica().IngestBatch(kWorkspace, std::span<const Document>(docs.data() + from, to - from));
    if (batch_us) batch_us->push_back(SecondsSince(t0) * 1e6);
    if (!outcomes.ok()) IngestFailed(outcomes.status());
    Count(*outcomes, docs.data() + from, &o);
  }
  return o;
}

long Expect(const Outcomes& o, long accepted, long ignored, const char* what) {
  if (o.accepted == accepted && o.ignored == ignored && o.invalid == 0) return 0;
  std::fprintf(stderr, "store_bench: %s: expected %ld accepted and %ld ignored, got %ld / %ld / %ld invalid%s%s\n",
               what, accepted, ignored, o.accepted, o.ignored, o.invalid,
               o.first_problem.empty() ? "" : "; first: ", o.first_problem.c_str());
  return std::max<long>(1, std::labs(o.accepted - accepted) + std::labs(o.ignored - ignored) + o.invalid);
}

std::string BatchJson(const std::vector<double>& batch_us) { return "\"batch\":{" + LatencyJson(batch_us) + "}"; }

int IngestCommand(const Options& o) {
  if (o.docs.empty() || o.dir.empty() || o.n == 0) Usage("ingest needs --docs, --dir and --n");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  esfs::core::FixedClock clock(o.now);
  DocReader reader(o.docs);
  size_t total = o.total ? o.total : reader.count();
  if (o.n > total || total > reader.count()) Usage("need --n <= --total <= documents in the file");
  stdfs::create_directories(o.dir);
  const char* fs_note = FileSystemWarning(o.dir);
  if (*fs_note)
    std::fprintf(stderr, "store_bench: WARNING: %s is on %s: fsync costs nothing there\n", o.dir.c_str(), fs_note);

  const std::vector<Document> docs = reader.Read(o.n);
  const size_t n = docs.size();
  std::fprintf(stderr, "store_bench: loaded %zu documents; %u cores\n", n, cores);

  // 1. The anchors: bare libsodium verification of the same documents (one
  //    core, every core) and core::ValidateBatch in ingest-sized batches
  //    (the CPU part of an ingest, without the store). When the path-order
  //    ingest runs, one repetition of each runs right before each of its
  //    repetitions, so that the ratios compare runs on the same machine state.
  std::vector<esfs::bench::Series> anchors;
  const BareInput bare = o.Runs("verify") ? PrepareBare(docs) : BareInput{};
  auto verify = [&](size_t b, size_t e) {
    long failed = 0;
    for (size_t i = b; i < e; ++i) {
      if (crypto_sign_verify_detached(bare.signatures[i].data(),
                                      reinterpret_cast<const uint8_t*>(bare.messages[i].data()),
                                      bare.messages[i].size(), bare.keys[i].data()) != 0) {
        ++failed;
      }
    }
    return failed;
  };
  if (o.Runs("verify")) {
    verify(0, std::min<size_t>(n, 1000));  // warm-up
    anchors.push_back({"sodium_verify", 1, [&] { return verify(0, n); }});
    if (cores > 1) anchors.push_back({"sodium_verify_all_cores", cores, [&] { return Parallel(n, cores, verify); }});
  }
  if (o.Runs("validate")) {
    anchors.push_back({"validate_batch", cores, [&] {
                         long failed = 0;
                         for (size_t from = 0; from < n; from += o.batch) {
                           const size_t to = std::min(n, from + o.batch);
                           for (const auto& s : esfs::core::ValidateBatch(
                                    std::span<const Document>(docs.data() + from, to - from), o.now)) {
                             if (!s.ok()) ++failed;
                           }
                         }
                         return failed;
                       }});
  }
  auto run_anchors_once = [&] {
    for (auto& a : anchors) esfs::bench::RunOnce(a);
  };
  auto emit_anchors = [&] {
    for (const auto& a : anchors) EmitRate(a.op, n, a.threads, a.seconds, a.cpu_seconds, a.failures);
  };

  // 2. Ingest into a fresh store, R times each. |callers| threads call
  //    IngestBatch at once, batches alternating between them.
  const std::string keep_dir = o.dir + "/store";
  auto measure_ingest = [&](const char* op, const std::vector<Document>& input, size_t callers, bool keep_last,
                            const std::function<void()>& before_each = {}) {
    std::vector<double> secs, batch_us;
    long failed = 0;
    std::mutex mu;
    const double cpu0 = ProcessCpuSeconds();
    double data_bytes = 0;
    double anchor_cpu = 0;  // not this op's CPU
    for (int r = 0; r < o.reps; ++r) {
      if (before_each) {
        const double before = ProcessCpuSeconds();
        before_each();
        anchor_cpu += ProcessCpuSeconds() - before;
      }
      const bool keep = keep_last && r + 1 == o.reps;
      const std::string dir = keep ? keep_dir : o.dir + "/scratch";
      stdfs::remove_all(dir);
      auto store = OpenStore(dir, &clock);
      if (auto s = store->workspaces().Add(kWorkspace); !s.ok()) {
        std::fprintf(stderr, "store_bench: AddWorkspace: %s\n", s.message().c_str());
        std::exit(1);
      }
      Outcomes sum;
      const auto t0 = SteadyClock::now();
      std::vector<std::thread> threads;
      for (size_t c = 0; c < callers; ++c) {
        threads.emplace_back([&, c] {
          std::vector<double> mine;
          Outcomes out = IngestRange(*store, input, 0, n, o.batch, &mine, callers, c);
          std::scoped_lock lock(mu);
          sum.accepted += out.accepted, sum.ignored += out.ignored, sum.invalid += out.invalid;
          if (sum.first_problem.empty()) sum.first_problem = out.first_problem;
          batch_us.insert(batch_us.end(), mine.begin(), mine.end());
        });
      }
      for (auto& t : threads) t.join();
      secs.push_back(SecondsSince(t0));
      failed += Expect(sum, static_cast<long>(n), 0, op);
      store.reset();
      struct stat st {};
      if (::stat((dir + "/store/data.mdb").c_str(), &st) == 0) data_bytes = static_cast<double>(st.st_blocks) * 512;
      if (!keep) stdfs::remove_all(dir);
    }
    char extra[200];
    std::snprintf(extra, sizeof extra, ",\"batch_size\":%zu,\"callers\":%zu,\"fs\":\"%s\",\"data_mdb_disk\":%.0f",
                  o.batch, callers, *fs_note ? fs_note : "disk", data_bytes);
    EmitRate(op, n, cores, secs, ProcessCpuSeconds() - cpu0 - anchor_cpu, failed, BatchJson(batch_us) + extra);
  };
  if (o.Runs("shuffled")) {
    // A fixed shuffle of the same documents.
    std::vector<Document> shuffled = docs;
    std::mt19937_64 rng(4);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    measure_ingest("ingest_shuffled", shuffled, 1, false);
  }
  if (o.Runs("2callers")) measure_ingest("ingest_2_callers", docs, 2, false);
  if (o.Runs("ingest") || o.Runs("reingest") || o.Runs("fill")) {
    measure_ingest("ingest", docs, 1, true, run_anchors_once);
  } else {
    for (int r = 0; r < o.reps; ++r) run_anchors_once();
  }
  emit_anchors();

  auto store = OpenStore(keep_dir, &clock);
  // 3. Re-ingest: every document is already stored.
  if (o.Runs("reingest")) {
    std::vector<double> secs, batch_us;
    long failed = 0;
    const double cpu0 = ProcessCpuSeconds();
    for (int r = 0; r < o.reps; ++r) {
      const auto t0 = SteadyClock::now();
      const Outcomes out = IngestRange(*store, docs, 0, n, o.batch, &batch_us);
      secs.push_back(SecondsSince(t0));
      failed += Expect(out, 0, static_cast<long>(n), "re-ingest");
    }
    EmitRate("reingest", n, cores, secs, ProcessCpuSeconds() - cpu0, failed, BatchJson(batch_us));
  }

  // 4. Fill the kept store up to |total| documents (time only IngestBatch).
  if (total > n && o.Runs("fill")) {
    double secs = 0;
    std::vector<double> batch_us;
    long failed = 0;
    const double cpu0 = ProcessCpuSeconds();
    size_t done = n;
    while (done < total) {
      const std::vector<Document> chunk = reader.Read(std::min<size_t>(100'000, total - done));
      const auto t0 = SteadyClock::now();
      const Outcomes out = IngestRange(*store, chunk, 0, chunk.size(), o.batch, &batch_us);
      secs += SecondsSince(t0);
      failed += Expect(out, static_cast<long>(chunk.size()), 0, "fill");
      done += chunk.size();
      std::fprintf(stderr, "\rstore_bench: store holds %zu / %zu documents", done, total);
    }
    std::fprintf(stderr, "\n");
    char extra[128];
    std::snprintf(extra, sizeof extra, ",\"from\":%zu,\"to\":%zu", n, total);
    EmitRate("ingest_fill", total - n, cores, {secs}, ProcessCpuSeconds() - cpu0, failed, BatchJson(batch_us) + extra);
  }
  const std::string memory = MemoryJson();  // with the store still open
  store.reset();
  if (!o.Runs("fill")) total = n;
  std::printf("{\"impl\":\"esfs\",\"op\":\"ingest_process\",\"documents\":%zu,\"cores\":%u,%s,\"failures\":%d}\n",
              total, cores, memory.c_str(), g_failures);
  return g_failures ? 1 : 0;
}

// ---- lookup -------------------------------------------------------------------

// What data.mdb holds, per database (read-only, after the Store is closed:
// LMDB forbids opening one environment twice in a process), as JSON.
std::string LayoutJson(const std::string& store_dir) {
  MDB_env* env = nullptr;
  if (mdb_env_create(&env) != 0) return "{}";
  mdb_env_set_maxdbs(env, 16);
  std::string out = "{";
  if (mdb_env_open(env, store_dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600) == 0) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0) {
      MDB_envinfo info{};
      mdb_env_info(env, &info);
      MDB_stat est{};
      mdb_env_stat(env, &est);
      // Free pages: the freelist database (dbi 0) holds lists of page numbers,
      // each starting with its length.
      uint64_t free_pages = 0;
      MDB_cursor* cur = nullptr;
      if (mdb_cursor_open(txn, 0, &cur) == 0) {
        MDB_val k, v;
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
          if (v.mv_size >= sizeof(size_t)) free_pages += *static_cast<const size_t*>(v.mv_data);
        }
        mdb_cursor_close(cur);
      }
      char head[160];
      std::snprintf(head, sizeof head, "\"page_size\":%u,\"pages_used\":%zu,\"free_pages\":%" PRIu64, est.ms_psize,
                    static_cast<size_t>(info.me_last_pgno) + 1, free_pages);
      out += head;
      for (const char* name : {"docs", "winners", "by_author", "by_time", "expiry", "changes", "workspaces", "meta"}) {
        MDB_dbi dbi;
        MDB_stat st{};
        if (mdb_dbi_open(txn, name, 0, &dbi) != 0 || mdb_stat(txn, dbi, &st) != 0) continue;
        char one[200];
        std::snprintf(one, sizeof one, ",\"%s\":{\"entries\":%zu,\"pages\":%zu,\"depth\":%u}", name,
                      static_cast<size_t>(st.ms_entries),
                      static_cast<size_t>(st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages), st.ms_depth);
        out += one;
      }
      mdb_txn_abort(txn);
    }
  }
  mdb_env_close(env);
  return out + "}";
}

int LookupCommand(const Options& o) {
  if (o.dir.empty() || o.total == 0) Usage("lookup needs --dir and --total");
  const std::string dir = o.dir + "/store";
  esfs::core::FixedClock clock(o.now);
  const auto t_open = SteadyClock::now();
  auto store = OpenStore(dir, &clock);
  const double open_us = SecondsSince(t_open) * 1e6;
  const size_t folders = FolderCount(o.total);
  std::mt19937_64 rng(20260101);
  std::uniform_int_distribution<size_t> pick_doc(0, o.total - 1), pick_folder(0, folders - 1);
  const size_t expect_children = o.total / folders;

  auto timed = [](auto&& f) {
    const auto t0 = SteadyClock::now();
    f();
    return SecondsSince(t0) * 1e6;
  };

  // Winner of a random path. A warm-up pass first (untimed).
  {
    long failed = 0;
    auto one = [&](size_t i) {
      const std::string path = PathOf(i);
      std::optional<Document> got;
      const double us = timed([&] {
        auto w = store->replica().Winner(kWorkspace, path);
        if (w.ok()) got = std::move(w.value());
      });
      if (!got || got->path != path) ++failed;
      return us;
    };
    for (size_t k = 0; k < std::min<size_t>(o.lookups, 1000); ++k) one(pick_doc(rng));
    failed = 0;
    std::vector<double> us;
    for (size_t k = 0; k < o.lookups; ++k) us.push_back(one(pick_doc(rng)));
    EmitLatency("winner", us, failed, "\"documents\":" + std::to_string(o.total));
  }
  // ListFolder and QueryDocuments{pathPrefix} of random 100-child folders.
  for (const char* op : {"list_folder", "query_prefix"}) {
    long failed = 0;
    const bool list = std::strcmp(op, "list_folder") == 0;
    auto one = [&](size_t folder) {
      const std::string prefix = FolderPrefix(folder);
      size_t got = 0;
      const double us = timed([&] {
        if (list) {
          auto entries = store->folders().List(kWorkspace, prefix);
          if (entries.ok()) got = entries->size();
        } else {
          esfs::core::Query q;
          q.pathPrefix = prefix;
          auto found = store->replica().QueryDocuments(kWorkspace, q);
          if (found.ok()) got = found->size();
        }
      });
      if (got != expect_children) ++failed;
      return us;
    };
    for (size_t k = 0; k < std::min<size_t>(o.listings, 100); ++k) one(pick_folder(rng));
    failed = 0;
    std::vector<double> us;
    for (size_t k = 0; k < o.listings; ++k) us.push_back(one(pick_folder(rng)));
    EmitLatency(op, us, failed,
                "\"documents\":" + std::to_string(o.total) + ",\"entries\":" + std::to_string(expect_children));
  }
  // ListFolder("/bench/"): one entry per sub-folder, each skipped by a seek.
  {
    long failed = 0;
    std::vector<double> us;
    for (int k = 0; k < 21; ++k) {
      size_t got = 0;
      const double t = timed([&] {
        auto entries = store->folders().List(kWorkspace, "/bench/");
        if (entries.ok()) got = entries->size();
      });
      if (got != folders) ++failed;
      if (k > 0) us.push_back(t);
    }
    EmitLatency("list_top_folder", us, failed,
                "\"documents\":" + std::to_string(o.total) + ",\"entries\":" + std::to_string(folders));
  }
  const std::string memory = MemoryJson();  // with the store still open
  store.reset();
  struct stat st {};
  uint64_t disk = 0, apparent = 0;
  if (::stat((dir + "/store/data.mdb").c_str(), &st) == 0) {
    disk = static_cast<uint64_t>(st.st_blocks) * 512;
    apparent = static_cast<uint64_t>(st.st_size);
  }
  std::printf(
      "{\"impl\":\"esfs\",\"op\":\"lookup_process\",\"documents\":%zu,\"open_us\":%.1f,%s,"
      "\"data_mdb_disk\":%" PRIu64 ",\"data_mdb_size\":%" PRIu64 ",\"layout\":%s,\"failures\":%d}\n",
      o.total, open_us, memory.c_str(), disk, apparent, LayoutJson(dir + "/store").c_str(), g_failures);
  return g_failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opts = ParseOptions(argc, argv);
  if (!esfs::core::InitCrypto()) {
    std::fprintf(stderr, "store_bench: libsodium cannot initialise\n");
    return 1;
  }
  if (opts.command == "gen") return Gen(opts);
  if (opts.command == "ingest") return IngestCommand(opts);
  if (opts.command == "lookup") return LookupCommand(opts);
  Usage("unknown sub-command " + opts.command);
}
