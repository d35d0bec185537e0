// esfs pub: our own pub (pub/pub_server.h) on the store of --data, with
// pub-to-pub replication (--peer) by the syncer (sync/syncer.h). This file
// only wires them: options, the change feed they share, the peers'
// workspaces, signals.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>
#include <tuple>

#include "cli/command.h"
#include "cli/log_options.h"
#include "core/address.h"
#include "core/change_feed.h"
#include "core/log.h"
#include "core/printable.h"
#include "core/store.h"
#include "pub/pub_server.h"
#include "sync/http_client.h"
#include "sync/syncer.h"

namespace esfs::cli {
namespace {

constexpr const char* kPubVersion = "0.1.0";

// Adds the workspaces a peer serves (its extension's list; a reference
// pub has none to offer) that this pub may serve and does not hold yet:
// the syncer then pulls and pushes them like the others.
void LearnPeerWorkspaces(core::Store& store, const std::vector<std::string>& peers,
                         const std::vector<std::string>& allowed, core::LogWriter& log) {
  sync::HttpOptions http;
  http.connect_timeout_s = 5;
  http.total_timeout_s = 30;
  http.max_body_bytes = size_t{4} << 20;
  for (const auto& peer : peers) {
    std::string url = peer;
    while (!url.empty() && url.back() == '/') url.pop_back();
    auto reply = sync::HttpGet(url + "/earthstar-api/esfs/v1/workspaces", http);
    if (!reply.ok() || reply->status != 200) continue;
    auto json = core::ParseJson(reply->body);
    if (!json.ok() || !json->is_array()) continue;
    for (const auto& entry : *json) {
      if (!entry.is_object() || !entry.contains("workspace") || !entry["workspace"].is_string()) continue;
      const std::string ws = entry["workspace"].get<std::string>();
      if (!core::ParseWorkspaceAddress(ws).ok()) continue;
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), ws) == allowed.end()) continue;
      if (store.workspaces().Get(ws).ok()) continue;
      if (store.workspaces().Add(ws).ok()) {
        log.Line("pub: learned workspace " + ws + " from peer " + core::Printable(peer));
      }
    }
  }
}

int RunPub(const GlobalOptions& global, const ParsedArgs& args) {
  if (!args.positional.empty()) return UsageError("pub", "takes no positional arguments");
  auto logs = ParseLogSettings(args);
  if (!logs.ok()) return UsageError("pub", logs.status().message());
  pub::PubOptions options;
  options.version = kPubVersion;
  options.host = args.Get("host").value_or("0.0.0.0");
  if (auto port = args.Get("port")) {
    auto n = ParseInteger(*port, "--port");
    if (!n.ok() || *n < 0 || *n > 65535) return UsageError("pub", "--port must be 0..65535");
    options.port = static_cast<int>(*n);
  }
  options.workspaces = args.GetAll("workspace");
  for (const auto& ws : options.workspaces) {
    if (auto parsed = core::ParseWorkspaceAddress(ws); !parsed.ok()) {
      return UsageError("pub", "--workspace " + ws + ": " + parsed.status().message());
    }
  }
  if (auto max_body = args.Get("max-body")) {
    auto n = ParseInteger(*max_body, "--max-body");
    if (!n.ok() || *n < 1024) return UsageError("pub", "--max-body must be a number of bytes, at least 1024");
    options.max_body_bytes = static_cast<size_t>(*n);
  }
  for (auto [name, field, low, high] : {std::tuple{"max-connections", &options.max_connections, 2, 10000},
                                        std::tuple{"request-deadline", &options.request_deadline_s, 1, 86400}}) {
    if (auto value = args.Get(name)) {
      auto n = ParseInteger(*value, std::string("--") + name);
      if (!n.ok() || *n < low || *n > high) {
        return UsageError("pub",
                          std::string("--") + name + " must be " + std::to_string(low) + ".." + std::to_string(high));
      }
      *field = static_cast<int>(*n);
    }
  }
  // Streams hold connections: some are always left for the API.
  options.max_streams = std::min(options.max_streams, std::max(1, options.max_connections * 5 / 8));
  options.readonly = args.Has("readonly");
  options.peers = args.GetAll("peer");
  for (const auto& peer : options.peers) {
    if (peer.rfind("http://", 0) != 0 && peer.rfind("https://", 0) != 0) {
      return UsageError("pub", "--peer " + peer + ": expected an http:// or https:// URL");
    }
  }
  const std::string data_dir = args.Get("data").value_or(global.data_dir);

  auto store = core::Store::Open({data_dir});
  if (!store.ok()) return Failure("pub", store.status().message());
  // A closed pub serves its workspaces from the start (an empty listing,
  // not 404), so clients can push to them.
  for (const auto& ws : options.workspaces) {
    if (!(*store)->workspaces().Get(ws).ok()) {
      if (Status s = (*store)->workspaces().Add(ws); !s.ok()) return Failure("pub", s.message());
    }
  }
  // Signals are taken by this thread only (sigwait below); every thread
  // started from here on inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The pub's lines (peers, learned workspaces): to stderr, or --log-file
  // (rotated as the mount's).
  core::LogWriter log({.level = logs->level, .max_bytes = core::LogMaxBytesFromEnv()});
  if (!logs->file.empty()) log.ToFile(logs->file);
  auto feed = core::ChangeFeed::Start(**store);
  if (!feed.ok()) return Failure("pub", feed.status().message());
  pub::PubServer server(**store, **feed, options);
  if (Status s = server.Start(); !s.ok()) return Failure("pub", s.message());
  std::cout << "esfs pub: listening on http://" << core::Printable(options.host) << ":" << server.port() << " (data "
            << core::Printable(data_dir) << (options.readonly ? ", read-only" : "")
            << (options.workspaces.empty() ? "" : ", closed") << ")" << std::endl;
  log.Line("pub: listening on http://" + core::Printable(options.host) + ":" + std::to_string(server.port()) +
           " (data " + core::Printable(data_dir) + (options.readonly ? ", read-only" : "") +
           (options.workspaces.empty() ? "" : ", closed") + ")");

  std::unique_ptr<sync::Syncer> syncer;
  std::thread learner;
  std::mutex mu;  // guards stopping
  std::condition_variable wake;
  bool stopping = false;
  if (!options.peers.empty()) {
    sync::InitHttp();
    LearnPeerWorkspaces(**store, options.peers, options.workspaces, log);
    syncer = std::make_unique<sync::Syncer>(**store, log.AsFunction(), sync::HttpOptions{}, sync::BackoffPolicy{},
                                            feed->get());
    syncer->SetPeers(options.peers, options.workspaces);
    syncer->Start();
    // Workspaces a peer gains later are learned within 10 s.
    learner = std::thread([&] {
      std::unique_lock lock(mu);
      while (!wake.wait_for(lock, std::chrono::seconds(10), [&] { return stopping; })) {
        lock.unlock();
        LearnPeerWorkspaces(**store, options.peers, options.workspaces, log);
        lock.lock();
      }
    });
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cout << "esfs pub: stopping" << std::endl;
  {
    std::scoped_lock lock(mu);
    stopping = true;
  }
  wake.notify_all();
  if (learner.joinable()) learner.join();
  if (syncer) syncer->Stop();
  server.Stop();
  return kExitOk;
}

}  // namespace

std::vector<Command> PubCommands() {
  return {
      {"pub",
       "run a pub: the reference pub's HTTP API on this store",
       "usage: esfs pub [--host ADDR] [--port N] [--data DIR] [--workspace WS]... [--readonly]\n"
       "                [--peer URL]...\n"
       "\n"
       "Serves the store of --data (default: the global --data) as an Earthstar pub: the\n"
       "reference pub's HTTP API (earthstar-pub 6.0.5), its live event stream, esfs's\n"
       "incremental extension (docs/pub-api.md) and an HTML page at /. Runs until SIGINT\n"
       "or SIGTERM. The data folder is an ordinary esfs store: other esfs commands may\n"
       "use it at the same time.\n"
       "\n"
       "  --host ADDR       the address to listen on (default 0.0.0.0: every interface,\n"
       "                    as the reference pub; 127.0.0.1 for this machine only)\n"
       "  --port N          the port (default 3333; 0: any free port, printed)\n"
       "  --workspace WS    serve and accept only these workspaces (a closed pub)\n"
       "  --readonly        accept no documents (403 to every push)\n"
       "  --peer URL        replicate every workspace with this pub too (pull and push,\n"
       "                    live); an esfs peer's workspaces are learned from it\n"
       "  --max-body BYTES  the largest request body (default 33554432, 32 MiB)\n"
       "  --max-connections N   connections handled at once, more get 503 (default 64;\n"
       "                    event streams take at most 5/8 of them, 40 by default)\n"
       "  --request-deadline S  a request must be done S seconds after its headers\n"
       "                    (default 120)\n" +
           std::string(kLogOptionsHelp) +
           "\n"
           "Limits (docs/pub-api.md): past them 413, 503, or the connection is cut.\n",
       {{"host", true},
        {"port", true},
        {"data", true},
        {"workspace", true, true},
        {"readonly", false},
        {"peer", true, true},
        {"max-body", true},
        {"max-connections", true},
        {"request-deadline", true},
        {"log-level", true},
        {"log-file", true}},
       RunPub},
  };
}

}  // namespace esfs::cli
