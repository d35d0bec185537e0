// store_save_bench: local saves (Store::Set) from 1 and from many threads at
// once, to show what group commit (core/store_commit.cc) buys: saves per
// second, and commits per save (each commit is one disk flush with
// MDB_NOMETASYNC, so this counts flushes; check with
// `strace -f -c -e trace=fdatasync,fsync,msync`).
//
//   store_save_bench --dir DIR [--threads 1,8] [--seconds S] [--bytes B] [--setmany K]
//
// For each thread count T: a fresh store in DIR/tT; T threads each call
// Set on new paths (/t<thread>/f<i>, B bytes of content, default 200) for
// S seconds (default 3). With --setmany K, each thread instead calls
// SetMany with K requests at a time (each request counts as one save).
// DIR should be on a real disk: on a tmpfs a flush is free (reported).
// One JSON object per thread count on stdout:
//   {"threads":T,"saves":N,"seconds":S,"saves_per_s":R,"commits":C,
//    "commits_per_save":C/N,"p50_us":..,"p99_us":..,"fs":"tmpfs"|""}
// then a line comparing the last to the first. Exit status 1 if a save fails.
#include <sys/statfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/store.h"
#include "keys/identity.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir;
  std::vector<unsigned> threads = {1, 8};
  double seconds = 3;
  size_t bytes = 200;
  size_t setmany = 0;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: store_save_bench --dir DIR [--threads 1,8] [--seconds S] [--bytes B] [--setmany K]\n");
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) Usage();
    const std::string v = argv[++i];
    if (a == "--dir") {
      o.dir = v;
    } else if (a == "--threads") {
      o.threads.clear();
      for (size_t at = 0; at <= v.size();) {
        const size_t comma = std::min(v.find(',', at), v.size());
        o.threads.push_back(static_cast<unsigned>(std::stoul(v.substr(at, comma - at))));
        at = comma + 1;
      }
    } else if (a == "--seconds") {
      o.seconds = std::stod(v);
    } else if (a == "--bytes") {
      o.bytes = std::stoul(v);
    } else if (a == "--setmany") {
      o.setmany = std::stoul(v);
    } else {
      Usage();
    }
  }
  if (o.dir.empty() || o.threads.empty()) Usage();
  return o;
}

const char* FileSystemKind(const std::string& dir) {
  struct statfs st {};
  if (::statfs(dir.c_str(), &st) != 0) return "";
  constexpr long kTmpfsMagic = 0x01021994;
  return st.f_type == kTmpfsMagic ? "tmpfs" : "";
}

struct Run {
  unsigned threads = 0;
  size_t saves = 0;
  double seconds = 0;
  uint64_t commits = 0;
  std::vector<double> latency_us;
  size_t failures = 0;
};

Run RunOnce(const Options& o, unsigned threads, const esfs::keys::Identity& who) {
  const std::string dir = o.dir + "/t" + std::to_string(threads);
  std::filesystem::remove_all(dir);
  esfs::core::StoreOptions options;
  options.data_dir = dir;
  auto opened = esfs::core::Store::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "store_save_bench: open %s: %s\n", dir.c_str(), opened.status().message().c_str());
    std::exit(1);
  }
  esfs::core::Store& store = **opened;
  const std::string ws = "+bench.saves";
  if (!store.workspaces().Add(ws).ok()) std::exit(1);
  const std::string content(o.bytes, 'x');

  Run run;
  run.threads = threads;
  std::vector<std::vector<double>> latency(threads);
  std::vector<size_t> saves(threads, 0), failures(threads, 0);
  const uint64_t commits_before = store.CommitCount();
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(o.seconds);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string prefix = "/t" + std::to_string(t) + "/f";
      while (Clock::now() < deadline) {
        const auto start = Clock::now();
        if (o.setmany == 0) {
          auto saved = store.replica().Set(who, ws, prefix + std::to_string(saves[t]), content);
          if (!saved.ok()) ++failures[t];
          ++saves[t];
        } else {
          std::vector<esfs::core::SetRequest> requests;
          for (size_t k = 0; k < o.setmany; ++k) {
            requests.push_back({ws, prefix + std::to_string(saves[t] + k), content, std::nullopt});
          }
          if (!store.replica().SetMany(who, requests).ok()) failures[t] += o.setmany;
          saves[t] += o.setmany;
        }
        latency[t].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      }
    });
  }
  for (auto& w : workers) w.join();
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  run.commits = store.CommitCount() - commits_before;
  for (unsigned t = 0; t < threads; ++t) {
    run.saves += saves[t];
    run.failures += failures[t];
    run.latency_us.insert(run.latency_us.end(), latency[t].begin(), latency[t].end());
  }
  std::sort(run.latency_us.begin(), run.latency_us.end());
  return run;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  std::filesystem::create_directories(o.dir);
  auto who = esfs::keys::Identity::FromSeed("save", esfs::core::Sha256("esfs store save bench"));
  if (!who.ok()) {
    std::fprintf(stderr, "store_save_bench: identity: %s\n", who.status().message().c_str());
    return 1;
  }
  std::vector<Run> runs;
  size_t failures = 0;
  for (unsigned threads : o.threads) {
    Run r = RunOnce(o, threads, *who);
    failures += r.failures;
    std::printf(
        "{\"threads\":%u,\"saves\":%zu,\"seconds\":%.3f,\"saves_per_s\":%.0f,\"commits\":%llu,"
        "\"commits_per_save\":%.3f,\"p50_us\":%.0f,\"p99_us\":%.0f,\"setmany\":%zu,\"bytes\":%zu,\"fs\":\"%s\"}\n",
        r.threads, r.saves, r.seconds, static_cast<double>(r.saves) / r.seconds,
        static_cast<unsigned long long>(r.commits), r.saves ? static_cast<double>(r.commits) / r.saves : 0.0,
        Percentile(r.latency_us, 0.5), Percentile(r.latency_us, 0.99), o.setmany, o.bytes, FileSystemKind(o.dir));
    std::fflush(stdout);
    runs.push_back(std::move(r));
  }
  if (runs.size() > 1 && runs.front().saves > 0) {
    const double first = static_cast<double>(runs.front().saves) / runs.front().seconds;
    const double last = static_cast<double>(runs.back().saves) / runs.back().seconds;
    std::fprintf(stderr, "store_save_bench: %u threads save %.2fx as many per second as %u\n", runs.back().threads,
                 last / first, runs.front().threads);
  }
  if (failures > 0) {
    std::fprintf(stderr, "store_save_bench: %zu saves failed\n", failures);
    return 1;
  }
  return 0;
}
