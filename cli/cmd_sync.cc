// esfs sync, esfs status
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <thread>

#include "cli/command.h"
#include "cli/log_options.h"
#include "core/log.h"
#include "core/printable.h"
#include "core/store.h"
#include "keys/identity.h"
#include "sync/syncer.h"

namespace esfs::cli {
namespace {

using core::OrderedJson;

std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted = true; }

// A progress bar on a terminal, plain lines (every 10 %) otherwise.
sync::SyncProgress MakeProgress(const std::string& label) {
  const bool tty = isatty(STDERR_FILENO);
  auto last_decile = std::make_shared<long>(-1);
  return [=](const std::string& phase, size_t done, size_t total) {
    if (total == 0) return;
    const long percent = static_cast<long>(done * 100 / total);
    if (tty) {
      const int width = 30;
      const int filled = static_cast<int>(percent * width / 100);
      std::cerr << "\r" << label << " " << phase << " [" << std::string(filled, '#') << std::string(width - filled, ' ')
                << "] " << done << "/" << total << std::flush;
      if (done == total) std::cerr << "\n";
    } else if (percent / 10 != *last_decile) {
      *last_decile = percent / 10;
      std::cerr << label << " " << phase << ": " << done << "/" << total << "\n";
    }
  };
}

// "1 document", "2 documents": |n| and the noun, singular for one.
std::string Count(uint64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Ago(int64_t micros) {
  if (micros == 0) return "never";
  const int64_t seconds =
      (std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
           .count() -
       micros) /
      1'000'000;
  if (seconds < 120) return std::to_string(seconds) + " s ago";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min ago";
  return std::to_string(seconds / 3600) + " h ago";
}

int RunSync(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() > 1) return UsageError("sync", "expected at most one WORKSPACE");
  auto logs = ParseLogSettings(args);
  if (!logs.ok()) return UsageError("sync", logs.status().message());
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("sync", store.status().message());
  auto all = (*store)->workspaces().List(/*count_documents=*/true);
  if (!all.ok()) return Failure("sync", all.status().message());
  std::vector<core::WorkspaceInfo> chosen;
  for (const auto& ws : *all) {
    if (args.positional.empty() || ws.address == args.positional[0]) chosen.push_back(ws);
  }
  if (chosen.empty()) {
    return Failure(
        "sync", args.positional.empty() ? "no workspaces in the store" : args.positional[0] + " is not in the store");
  }
  size_t configured = 0;
  for (const auto& ws : chosen) configured += sync::PubsOf(ws.config).size();
  if (configured == 0) {
    return Failure("sync", std::string(args.positional.empty() ? "no workspace has" : "the workspace has no") +
                               " pubs to sync with; nothing done (add one: esfs workspace edit WS --pub URL)");
  }
  // The syncer's lines: to stderr, or --log-file (rotated as the mount's).
  core::LogWriter log({.level = logs->level, .max_bytes = core::LogMaxBytesFromEnv()});
  if (!logs->file.empty()) log.ToFile(logs->file);
  (*store)->replica().SetLog(log.AsFunction());  // conflicts (DESIGN 9)
  sync::Syncer syncer(**store, log.AsFunction());
  int failures = 0, pubs = 0;
  for (const auto& ws : chosen) {
    for (const auto& pub : sync::PubsOf(ws.config)) {
      ++pubs;
      auto pass = syncer.SyncOnce(ws.address, pub, MakeProgress(core::Printable(ws.address)));
      if (!pass.ok()) {
        ++failures;
        std::cerr << "esfs sync: " << core::Printable(ws.address) << " with " << core::Printable(pub) << ": "
                  << core::Printable(pass.status().message(), 1024) << "\n";
        continue;
      }
      std::cout << core::Printable(ws.address) << " with " << core::Printable(pub) << ": pulled " << pass->pulled
                << " (" << pass->accepted << " new, " << pass->invalid << " invalid rejected), pushed " << pass->pushed
                << "\n";
    }
  }
  if (args.Has("once")) return failures ? kExitFailure : kExitOk;
  // Keep syncing live until interrupted; a pub that failed now (down, not
  // reachable yet) is retried in the background with backoff, as a mount does.
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);
  if (failures > 0) {
    std::cerr << "esfs: " << failures << " of " << pubs << " pubs could not be synced now; retrying in the "
              << "background (waits grow from 1 s to 5 min)\n";
  }
  std::cerr << "esfs: syncing live; Ctrl-C to stop\n";
  syncer.Start();
  while (!g_interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  syncer.Stop();
  return kExitOk;
}

// "2026-12-01T19:20:10Z", or null for "never".
OrderedJson IsoTime(int64_t micros) {
  if (micros <= 0) return nullptr;
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text);
}

// Pending pushes to |pub|: the changes after its pushed position that are
// documents written here, by |author| (the --key identity). Documents that
// came from pubs (other authors: pulled, and pushed on only as a relay)
// are not pending: `esfs status` answers "what of mine has not reached the
// pub yet" (issue #21). |author| empty (no identity): every change counts.
Result<size_t> PendingOf(const core::Store& store, const std::string& workspace, const std::string& pub,
                         const std::vector<std::string>& only, const std::string& author) {
  if (author.empty()) return sync::PendingPushes(store, workspace, pub, only);
  auto changes = store.replica().ChangesSince(sync::LoadPubStatus(store, workspace, pub).pushed_seq);
  if (!changes.ok()) return changes.status();
  size_t pending = 0;
  for (const auto& c : *changes) {
    if (!c.removed && c.workspace == workspace && c.author == author && sync::PathSelected(c.path, only)) ++pending;
  }
  return pending;
}

// One workspace's entry of `esfs status --json`.
OrderedJson WorkspaceStatus(const core::Store& store, const core::WorkspaceInfo& ws, const std::string& author) {
  const auto only = sync::OnlyPrefixesOf(ws.config);
  OrderedJson entry = {{"workspace", ws.address}, {"documents", ws.documents}, {"pubs", OrderedJson::array()}};
  if (!only.empty()) entry["only"] = only;
  // Peers' saves that replaced a save made here moments before (DESIGN 9).
  auto conflicts = store.local().ConflictCount(ws.address);
  entry["conflicts"] = conflicts.ok() ? OrderedJson(*conflicts) : OrderedJson(nullptr);
  // Who wrote what: per author, the documents the store keeps of theirs
  // (their newest version of each path) and when they last wrote.
  std::map<std::string, std::pair<uint64_t, int64_t>> by_author;
  if (auto docs = store.replica().AllDocuments(ws.address); docs.ok()) {
    for (const auto& doc : *docs) {
      auto& [count, latest] = by_author[doc.author];
      ++count;
      latest = std::max(latest, doc.timestamp);
    }
  }
  entry["authors"] = OrderedJson::array();
  for (const auto& [author, info] : by_author) {
    entry["authors"].push_back({{"author", author}, {"documents", info.first}, {"last_write", IsoTime(info.second)}});
  }
  for (const auto& pub : sync::PubsOf(ws.config)) {
    const auto status = sync::LoadPubStatus(store, ws.address, pub);
    auto pending = PendingOf(store, ws.address, pub, only, author);
    entry["pubs"].push_back(
        {{"url", pub},
         {"last_success", IsoTime(status.last_success_us)},
         {"last_success_us", status.last_success_us},
         {"pending_pushes", pending.ok() ? OrderedJson(*pending) : OrderedJson(nullptr)},
         {"invalid_rejected", status.invalid_total},
         {"last_error", status.last_error.empty() ? OrderedJson(nullptr) : OrderedJson(status.last_error)}});
  }
  return entry;
}

void PrintStatusText(const OrderedJson& out) {
  if (out.empty()) std::cout << "no workspaces (add one: esfs workspace add +name.suffix)\n";
  for (const auto& ws : out) {
    std::cout << core::Printable(ws["workspace"].get<std::string>()) << ": "
              << Count(ws["documents"].get<uint64_t>(), "document", "documents");
    if (ws.contains("only")) {
      std::cout << ", syncing only";
      for (const auto& prefix : ws["only"]) std::cout << " " << core::Printable(prefix.get<std::string>());
    }
    if (ws["conflicts"].is_number() && ws["conflicts"].get<uint64_t>() > 0) {
      std::cout << ", " << ws["conflicts"] << " conflicts (a peer's save replaced yours; the replaced content is in "
                << ".esfs-history)";
    }
    std::cout << "\n";
    for (const auto& a : ws["authors"]) {
      std::cout << "  " << core::Printable(a["author"].get<std::string>()) << ": "
                << Count(a["documents"].get<uint64_t>(), "document", "documents") << ", last wrote "
                << (a["last_write"].is_string() ? a["last_write"].get<std::string>() : std::string("?")) << "\n";
    }
    if (ws["pubs"].empty()) std::cout << "  no pubs (local only)\n";
    for (const auto& pub : ws["pubs"]) {
      std::cout << "  " << core::Printable(pub["url"].get<std::string>()) << ": last sync "
                << Ago(pub["last_success_us"]) << ", "
                << (pub["pending_pushes"].is_null()
                        ? std::string("? pending pushes")
                        : Count(pub["pending_pushes"].get<uint64_t>(), "pending push", "pending pushes"));
      if (pub["invalid_rejected"].get<uint64_t>() > 0) {
        std::cout << ", " << Count(pub["invalid_rejected"].get<uint64_t>(), "invalid document", "invalid documents")
                  << " rejected";
      }
      if (!pub["last_error"].is_null()) {
        std::cout << "\n    last error: " << core::Printable(pub["last_error"].get<std::string>(), 1024);
      }
      std::cout << "\n";
    }
  }
}

int RunStatus(const GlobalOptions& global, const ParsedArgs& args) {
  if (!args.positional.empty()) return UsageError("status", "takes no arguments");
  // Status only looks: it never creates a store, so a data folder removed
  // under a running mount is reported, not silently replaced by an empty one.
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("status", store.status().message());
  auto all = (*store)->workspaces().List(/*count_documents=*/true);
  if (!all.ok()) return Failure("status", all.status().message());
  OrderedJson out = OrderedJson::array();
  // Whose writes are pending: yours. A missing identity is no error here.
  std::string author;
  if (auto identity = keys::LoadIdentity(global.key_file, [](const std::string&) {}); identity.ok()) {
    author = identity->address();
  }
  for (const auto& ws : *all) out.push_back(WorkspaceStatus(**store, ws, author));
  if (args.Has("json")) {
    PrintJson(out);
  } else {
    PrintStatusText(out);
  }
  return kExitOk;
}

}  // namespace

std::vector<OptionSpec> SyncOptions() {
  std::vector<OptionSpec> options = {{"once", false}};
  for (auto& o : LogOptionSpecs()) options.push_back(o);
  return options;
}

std::vector<Command> SyncCommands() {
  return {
      {"sync", "sync workspaces with their pubs now",
       "usage: esfs sync [WORKSPACE] [--once] [--log-level L] [--log-file FILE]\n"
       "\n"
       "Pulls every document from each pub of the workspace (all workspaces if none is\n"
       "named), validates and stores the new ones (invalid ones are rejected and counted),\n"
       "then pushes what the pub may lack. Shows progress. Then keeps syncing live (the\n"
       "pub's event stream) until Ctrl-C, retrying pubs that fail with growing waits;\n"
       "--once stops after one pass (exit status 1 if a pub failed). A running mount\n"
       "syncs in the background by itself. With no pub to sync with, it says so and\n"
       "exits with status 1.\n"
       "\n"
       "options:\n"
       "  --once               one pass, then exit\n" +
           std::string(kLogOptionsHelp),
       SyncOptions(), RunSync},
      {"status",
       "documents, pubs, last sync, pending pushes, errors",
       "usage: esfs status [--json]\n"
       "\n"
       "Per workspace: documents in the store (and the --only prefixes, if any); per\n"
       "author: how many documents of theirs the store keeps and when they last wrote;\n"
       "per pub:\n"
       "when it last synced completely, how many of your documents (written with the\n"
       "--key identity; documents pulled from pubs never count) wait to be pushed,\n"
       "invalid documents it sent, the last error (cleared by the next success).\n"
       "\n"
       "options:\n"
       "  --json   [{workspace, documents, only?, authors: [{author, documents, last_write}],\n"
       "           pubs: [{url, last_success (ISO 8601 UTC or null), last_success_us,\n"
       "           pending_pushes, invalid_rejected, last_error}]}]\n",
       {{"json", false}},
       RunStatus},
  };
}

}  // namespace esfs::cli
