// core_bench: how fast esfs signs, hashes and validates es.4 documents, next
// to libsodium's bare Ed25519 on the same 53-byte messages (the CPU limit).
//
//   core_bench [--n N] [--reps R] [--now MICROS] [--write-keypair FILE]
//
// Builds N documents in memory (/bench/doc-000001.txt ..., 200-byte content,
// one author), then times each operation over all N documents R times with
// std::chrono::steady_clock, the operations interleaved (esfs sign, bare
// sign, hash, esfs validate, bare verify, ... then again) so that both sides
// of every ratio see the same machine. Prints one JSON object per operation on stdout
// (scripts/bench/core.sh turns them into a table); progress goes to stderr.
// Every signed document must validate and every bare signature must verify:
// any failure is reported and the exit status is 1.
//
// The documents are built exactly as scripts/bench/ref_core.js builds them,
// so with the same keypair (--write-keypair, then ref_core.js --keypair) both
// produce the same signatures; "sig_digest" (SHA-256 over all signatures) lets
// core.sh check that both sides did the same work.

#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base32.h"
#include "core/crypto.h"
#include "core/document.h"
#include "core/signing.h"
#include "core/validate.h"
#include "keys/identity.h"
#include "scripts/bench/parallel.h"
#include "scripts/bench/series.h"

namespace {

using esfs::core::Document;

constexpr int64_t kBaseTimestamp = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z in µs
constexpr int64_t kDefaultNow = 1'767'229'200'000'000;     // one hour later
constexpr size_t kContentBytes = 200;
constexpr std::string_view kWorkspace = "+bench.esfs";
constexpr std::string_view kSeedText = "esfs core bench suzy";

struct Options {
  size_t n = 10'000;
  int reps = 3;
  int64_t now = kDefaultNow;
  std::string keypair_file;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr, "core_bench: %s\nusage: core_bench [--n N] [--reps R] [--now MICROS] [--write-keypair FILE]\n",
               why);
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage("missing value");
      return argv[++i];
    };
    if (a == "--n") {
      o.n = std::strtoull(value(), nullptr, 10);
    } else if (a == "--reps") {
      o.reps = std::atoi(value());
    } else if (a == "--now") {
      o.now = std::strtoll(value(), nullptr, 10);
    } else if (a == "--write-keypair") {
      o.keypair_file = value();
    } else {
      Usage("unknown argument");
    }
  }
  if (o.n == 0 || o.n > 10'000'000) Usage("--n must be 1..10000000");
  if (o.reps < 1 || o.reps > 100) Usage("--reps must be 1..100");
  return o;
}

// The content of document i (1-based): a label, then pseudo-random lowercase
// words up to exactly 200 bytes. ref_core.js has the same generator.
std::string MakeContent(uint32_t i) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz      ";  // 32 entries
  char label[48];
  std::snprintf(label, sizeof label, "esfs benchmark document %06u: ", i);
  std::string content = label;
  uint32_t state = i * 2654435761u + 12345u;
  while (content.size() < kContentBytes) {
    state = state * 1664525u + 1013904223u;
    content.push_back(kChars[state >> 27]);
  }
  return content;
}

std::vector<Document> MakeDocuments(size_t n, const std::string& author) {
  std::vector<Document> docs(n);
  for (size_t k = 0; k < n; ++k) {
    const auto i = static_cast<uint32_t>(k + 1);
    char path[40];
    std::snprintf(path, sizeof path, "/bench/doc-%06u.txt", i);
    Document& d = docs[k];
    d.workspace = kWorkspace;
    d.path = path;
    d.content = MakeContent(i);
    d.author = author;
    d.timestamp = kBaseTimestamp + static_cast<int64_t>(i);
  }
  return docs;
}

template <typename F>
double Seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

int g_failures = 0;

using esfs::bench::ProcessCpuSeconds;
using esfs::bench::Series;

// Runs every series opts.reps times, interleaved (rep 1 of each, then rep 2
// of each, ...), so that a change in the machine's load or clock during the
// run hits esfs and bare libsodium alike instead of skewing their ratio.
void MeasureInterleaved(const Options& opts, std::vector<Series>& all) {
  for (int r = 0; r < opts.reps; ++r) {
    for (Series& s : all) esfs::bench::RunOnce(s);
  }
}

void Emit(const Options& opts, const Series& s) {
  double wall = 0;
  for (double sec : s.seconds) wall += sec;
  // CPU time over wall time: ~1 for one thread, ~threads when every thread
  // got a core. Lower means something else on the machine took the CPU.
  const double cpu_per_wall = s.cpu_seconds / wall;
  const double median = Median(s.seconds);
  std::printf("{\"impl\":\"esfs\",\"op\":\"%s\",\"n\":%zu,\"threads\":%u,\"reps\":%d,\"seconds\":[", s.op, opts.n,
              s.threads, opts.reps);
  for (size_t i = 0; i < s.seconds.size(); ++i) std::printf("%s%.6f", i ? "," : "", s.seconds[i]);
  std::printf("],\"median_s\":%.6f,\"rate\":%.1f,\"cpu_per_wall\":%.2f,\"failures\":%ld}\n", median,
              static_cast<double>(opts.n) / median, cpu_per_wall, s.failures);
  std::fflush(stdout);
  std::fprintf(stderr, "core_bench: n=%zu %-22s %10.0f /s%s\n", opts.n, s.op, static_cast<double>(opts.n) / median,
               s.failures ? "  FAILURES!" : "");
  if (s.failures) {
    std::fprintf(stderr, "core_bench: %s: %ld failures over %d runs\n", s.op, s.failures, opts.reps);
    g_failures += static_cast<int>(std::min<long>(s.failures, 1'000'000));
  }
}

using esfs::bench::Parallel;

std::string Hex(const uint8_t* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opts = ParseOptions(argc, argv);
  if (!esfs::core::InitCrypto()) {
    std::fprintf(stderr, "core_bench: libsodium cannot initialise\n");
    return 1;
  }
  const auto seed = esfs::core::Sha256(kSeedText);
  auto identity = esfs::keys::Identity::FromSeed("suzy", seed);
  if (!identity.ok()) {
    std::fprintf(stderr, "core_bench: %s\n", identity.status().message().c_str());
    return 1;
  }
  if (!opts.keypair_file.empty()) {
    std::ofstream out(opts.keypair_file, std::ios::trunc);
    out << identity->ToKeypairJson();
    if (!out) {
      std::fprintf(stderr, "core_bench: cannot write %s\n", opts.keypair_file.c_str());
      return 1;
    }
  }

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Document> docs = MakeDocuments(opts.n, identity->address());
  const size_t n = docs.size();

  // Warm-up (caches, page faults, libsodium's CPU feature dispatch), and
  // the documents' hashes for the bare runs; untimed.
  for (auto& d : docs) identity->Sign(d);
  std::vector<std::string> messages(n);
  for (size_t i = 0; i < n; ++i) messages[i] = esfs::core::DocumentHash(docs[i]);
  const auto secret = identity->secret_key().bytes();
  uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
  std::memcpy(public_key, secret.data() + 32, sizeof public_key);
  std::vector<std::array<uint8_t, crypto_sign_BYTES>> signatures(n);

  unsigned long hash_check = 0;
  std::string first_error;
  auto note_error = [&](const Document& d, const esfs::Status& s) {
    if (first_error.empty()) first_error = d.path + ": " + s.message();
  };
  auto verify_range = [&](size_t begin, size_t end) {
    long failed = 0;
    for (size_t i = begin; i < end; ++i) {
      if (crypto_sign_verify_detached(signatures[i].data(), reinterpret_cast<const uint8_t*>(messages[i].data()),
                                      messages[i].size(), public_key) != 0) {
        ++failed;
      }
    }
    return failed;
  };
  const unsigned batch_threads =
      static_cast<unsigned>(std::min<size_t>(cores, std::max<size_t>(1, n / 256)));  // what ValidateBatch uses
  std::vector<Series> series = {
      // Sign: contentHash, document hash, Ed25519, base32 (keys::Identity::Sign).
      {"sign", 1,
       [&] {
         for (auto& d : docs) identity->Sign(d);
         return 0L;
       }},
      // Bare libsodium on the same 53-byte messages: the document hashes.
      {"sodium_sign", 1,
       [&] {
         for (size_t i = 0; i < n; ++i) {
           crypto_sign_detached(signatures[i].data(), nullptr, reinterpret_cast<const uint8_t*>(messages[i].data()),
                                messages[i].size(), secret.data());
         }
         return 0L;
       }},
      // Document hash (core::DocumentHash). The sum keeps the work observable.
      {"hash", 1,
       [&] {
         for (const auto& d : docs) hash_check += static_cast<unsigned char>(esfs::core::DocumentHash(d)[7]);
         return 0L;
       }},
      // Validate on one thread (core::ValidateDocument).
      {"validate", 1,
       [&] {
         long failed = 0;
         for (const auto& d : docs) {
           if (esfs::Status s = esfs::core::ValidateDocument(d, opts.now); !s.ok()) note_error(d, s), ++failed;
         }
         return failed;
       }},
      {"sodium_verify", 1, [&] { return verify_range(0, n); }},
      // Validate in a batch on every core (core::ValidateBatch, threads = 0).
      {"validate_batch", batch_threads,
       [&] {
         long failed = 0;
         const auto verdicts = esfs::core::ValidateBatch(docs, opts.now, 0);
         for (size_t i = 0; i < verdicts.size(); ++i) {
           if (!verdicts[i].ok()) note_error(docs[i], verdicts[i]), ++failed;
         }
         return failed + static_cast<long>(n - verdicts.size());
       }},
      {"sodium_verify_all_cores", cores, [&] { return Parallel(n, cores, verify_range); }},
  };
  MeasureInterleaved(opts, series);
  for (const Series& s : series) Emit(opts, s);

  // SHA-256 over every signature (each followed by "\n"), as ref_core.js does.
  crypto_hash_sha256_state digest_state;
  crypto_hash_sha256_init(&digest_state);
  for (const auto& d : docs) {
    crypto_hash_sha256_update(&digest_state, reinterpret_cast<const uint8_t*>(d.signature.data()), d.signature.size());
    crypto_hash_sha256_update(&digest_state, reinterpret_cast<const uint8_t*>("\n"), 1);
  }
  uint8_t digest[32];
  crypto_hash_sha256_final(&digest_state, digest);
  long mismatched = 0;  // Ed25519 is deterministic: must equal what esfs signed
  for (size_t i = 0; i < n; ++i) {
    if (esfs::core::Base32Encode(signatures[i]) != docs[i].signature) ++mismatched;
  }
  if (mismatched) {
    std::fprintf(stderr, "core_bench: %ld esfs signatures differ from bare libsodium's\n", mismatched);
    g_failures += static_cast<int>(mismatched);
  }

  std::printf(
      "{\"impl\":\"esfs\",\"op\":\"info\",\"n\":%zu,\"cores\":%u,\"now\":%lld,\"author\":\"%s\","
      "\"sig_digest\":\"%s\",\"hash_check\":%lu,\"failures\":%d}\n",
      n, cores, static_cast<long long>(opts.now), identity->address().c_str(), Hex(digest, sizeof digest).c_str(),
      hash_check, g_failures);
  if (g_failures) {
    std::fprintf(stderr, "core_bench: FAILED: %d documents or signatures did not check out%s%s\n", g_failures,
                 first_error.empty() ? "" : "; first error: ", first_error.c_str());
    return 1;
  }
  return 0;
}
