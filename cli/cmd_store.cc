// esfs workspace add/list/remove, put, get, export, import: the store from
// the command line.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "core/printable.h"
#include "core/store.h"
#include "core/utf8.h"
#include "fs/names.h"
#include "keys/identity.h"

namespace esfs::cli {
namespace {

using core::OrderedJson;

constexpr size_t kImportChunk = 1000;

// "1 document", "2 documents".
std::string Documents(uint64_t n) { return std::to_string(n) + (n == 1 ? " document" : " documents"); }

// "esfs workspace list".
int ListWorkspaces(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() != 1) return UsageError("workspace", "list takes no arguments");
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("workspace", store.status().message());
  auto all = (*store)->workspaces().List(/*count_documents=*/true);
  if (!all.ok()) return Failure("workspace", all.status().message());
  if (args.Has("json")) {
    OrderedJson out = OrderedJson::array();
    for (const auto& ws : *all)
      out.push_back({{"workspace", ws.address}, {"documents", ws.documents}, {"config", ws.config}});
    PrintJson(out);
    return kExitOk;
  }
  if (all->empty()) std::cerr << "esfs: no workspaces yet (add one: esfs workspace add +name.suffix)\n";
  for (const auto& ws : *all) {
    std::cout << core::Printable(ws.address) << "\t" << Documents(ws.documents);
    for (const auto& pub : ws.config.value("pubs", OrderedJson::array())) {
      std::cout << "\t" << core::Printable(pub.get<std::string>());
    }
    std::cout << "\n";
  }
  return kExitOk;
}

// Applies --pub, --remove-pub, --only and --all-paths to |config|. Usage
// errors (bad URL or prefix) as InvalidArgument; a --remove-pub URL that
// is not there as NotFound.
Status EditConfig(const ParsedArgs& args, OrderedJson& config) {
  OrderedJson pubs = config.value("pubs", OrderedJson::array());
  for (const auto& pub : args.GetAll("pub")) {
    if (pub.rfind("http://", 0) != 0 && pub.rfind("https://", 0) != 0) {
      return Status::InvalidArgument("pub URL must start with http:// or https://: " + pub);
    }
    if (std::find(pubs.begin(), pubs.end(), pub) == pubs.end()) pubs.push_back(pub);
  }
  for (const auto& pub : args.GetAll("remove-pub")) {
    auto it = std::find(pubs.begin(), pubs.end(), pub);
    if (it == pubs.end()) return Status::NotFound(pub + " is not a pub of this workspace");
    pubs.erase(it);
  }
  config["pubs"] = pubs;
  if (args.Has("only") && args.Has("all-paths")) return Status::InvalidArgument("give --only or --all-paths, not both");
  if (args.Has("only")) {
    OrderedJson only = OrderedJson::array();
    for (const auto& prefix : args.GetAll("only")) {
      if (prefix.empty() || prefix[0] != '/') return Status::InvalidArgument("--only takes a path prefix like /wiki/");
      only.push_back(prefix);
    }
    config["only"] = only;
  }
  if (args.Has("all-paths")) config.erase("only");
  return Status::Ok();
}

// One line for the user: what the workspace syncs now.
std::string Summary(const OrderedJson& config) {
  const auto pubs = config.value("pubs", OrderedJson::array());
  std::string text = std::to_string(pubs.size()) + (pubs.size() == 1 ? " pub" : " pubs");
  if (config.contains("only")) {
    text += ", syncing only";
    for (const auto& p : config["only"]) text += " " + p.get<std::string>();
  }
  return text;
}

int RunWorkspace(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.empty()) return UsageError("workspace", "expected add, list, edit, remove-pub or remove");
  const std::string& action = args.positional[0];
  if (action == "list") return ListWorkspaces(global, args);
  if (action == "remove-pub") {
    if (args.positional.size() < 3) return UsageError("workspace", "remove-pub takes WORKSPACE URL...");
  } else if (action == "add" || action == "edit" || action == "remove") {
    if (args.positional.size() != 2) return UsageError("workspace", action + " takes one WORKSPACE");
  } else {
    return UsageError("workspace", "unknown action '" + action + "' (add, list, edit, remove-pub or remove)");
  }
  if (action != "edit" && (args.Has("remove-pub") || args.Has("all-paths"))) {
    return UsageError("workspace", "--remove-pub and --all-paths belong to edit");
  }
  const std::string& ws = args.positional[1];
  auto store = action == "add" ? core::Store::Open({global.data_dir}) : OpenExistingStore(global);
  if (!store.ok()) return Failure("workspace", store.status().message());
  if (action == "add" || action == "edit" || action == "remove-pub") {
    OrderedJson config = OrderedJson::object();
    if (auto existing = (*store)->workspaces().Get(ws); existing.ok()) {
      config = existing->config;
    } else if (action != "add") {
      return Failure("workspace", existing.status().message());
    }
    ParsedArgs edit = args;
    for (size_t i = 2; i < args.positional.size(); ++i) edit.values["remove-pub"].push_back(args.positional[i]);
    if (Status s = EditConfig(edit, config); !s.ok()) {
      return s.code() == StatusCode::kInvalidArgument ? UsageError("workspace", s.message())
                                                      : Failure("workspace", s.message());
    }
    Status s = (*store)->workspaces().Add(ws, config);
    if (s.code() == StatusCode::kInvalidArgument) return UsageError("workspace", s.message());
    if (!s.ok()) return Failure("workspace", s.message());
    // A running mount or esfs sync follows the change (the syncer re-reads
    // the config at the next look of the store's change feed).
    std::cerr << "esfs: workspace " << core::Printable(ws) << " is in the store (" << core::Printable(Summary(config))
              << ")\n";
    return kExitOk;
  }
  // remove
  auto existing = (*store)->workspaces().Get(ws, /*count_documents=*/true);
  if (!existing.ok()) return Failure("workspace", existing.status().message());
  if (existing->documents > 0 && !args.Has("yes")) {
    return Failure("workspace",
                   ws + " holds " + Documents(existing->documents) + "; pass --yes to remove them from this store");
  }
  Status s = (*store)->workspaces().Remove(ws);
  if (!s.ok()) return Failure("workspace", s.message());
  std::cerr << "esfs: removed workspace " << core::Printable(ws) << " and its " << Documents(existing->documents)
            << "\n";
  return kExitOk;
}

int RunPut(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() < 2 || args.positional.size() > 3) {
    return UsageError("put", "expected WORKSPACE PATH [FILE|-]");
  }
  auto content = ReadInput(args.positional.size() == 3 ? args.positional[2] : "-");
  if (!content.ok()) return Failure("put", content.status().message());
  // An empty save is an es.4 deletion: never by accident (an empty pipe).
  const bool deleting = args.Has("delete");
  if (deleting && !content->empty()) return UsageError("put", "--delete stores no content, but the input is not empty");
  if (!deleting && content->empty()) {
    return Failure("put", "the input is empty; nothing stored (to delete " + core::Printable(args.positional[1]) +
                              ", use: esfs put --delete WORKSPACE PATH < /dev/null)");
  }
  if (!core::IsValidUtf8(*content)) return Failure("put", "content is not UTF-8 text; es.4 content must be text");
  std::optional<int64_t> delete_after;
  if (auto t = args.Get("delete-after")) {
    auto parsed = ParseInteger(*t, "--delete-after");
    if (!parsed.ok()) return UsageError("put", parsed.status().message());
    delete_after = *parsed;
  }
  auto identity = keys::LoadIdentity(global.key_file, Warn);
  if (!identity.ok()) return Failure("put", identity.status().message() + " (create one: esfs keygen NAME)");
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("put", store.status().message());
  auto doc = (*store)->replica().Set(*identity, args.positional[0], args.positional[1], *content, delete_after);
  if (!doc.ok()) return Failure("put", doc.status().message());
  if (deleting) {
    std::cerr << "esfs: deleted " << core::Printable(doc->path) << " (tombstone, timestamp " << doc->timestamp << ")\n";
  } else {
    std::cerr << "esfs: stored " << core::Printable(doc->path) << " (" << doc->content.size() << " bytes, timestamp "
              << doc->timestamp << ")\n";
  }
  return kExitOk;
}

// The es.4 path for |shown|, a path as the mount shows it ("/my notes/é.txt"):
// each name as the mount maps it (fs/names.h: "/my%20notes/%C3%A9.txt").
std::string PathFromShownName(const std::string& shown) {
  std::string path;
  size_t start = 0;
  while (start < shown.size()) {
    size_t slash = shown.find('/', start);
    if (slash == std::string::npos) slash = shown.size();
    if (slash > start) path += "/" + fs::NameToSegment(std::string_view(shown).substr(start, slash - start));
    start = slash + 1;
  }
  return path;
}

int RunGet(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() != 2) return UsageError("get", "expected WORKSPACE PATH");
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("get", store.status().message());
  const std::string& given = args.positional[1];
  // The es.4 path as given; else the same path as the mount shows it.
  auto winner = (*store)->replica().Winner(args.positional[0], given);
  if (!winner.ok() || !winner->has_value()) {
    const std::string mapped = PathFromShownName(given);
    if (mapped != given) {
      auto by_name = (*store)->replica().Winner(args.positional[0], mapped);
      if (by_name.ok() && by_name->has_value()) winner = std::move(by_name);
    }
  }
  if (!winner.ok()) return Failure("get", winner.status().message());
  if (!winner->has_value()) return Failure("get", "no document at " + given);
  if ((*winner)->IsTombstone()) return Failure("get", given + " was deleted by " + (*winner)->author);
  if (args.Has("json")) {
    PrintJson(core::DocumentToJson(**winner));
  } else {
    std::cout << (*winner)->content;
  }
  return kExitOk;
}

int RunExport(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() != 1) return UsageError("export", "expected WORKSPACE");
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("export", store.status().message());
  auto docs = (*store)->replica().AllDocuments(args.positional[0]);
  if (!docs.ok()) return Failure("export", docs.status().message());
  // Streamed one document at a time: a large workspace is not built as
  // one JSON value in memory.
  std::cout << "[";
  for (size_t i = 0; i < docs->size(); ++i) {
    std::cout << (i ? ",\n" : "\n") << core::DocumentToJson((*docs)[i]).dump();
  }
  std::cout << (docs->empty() ? "]\n" : "\n]\n");
  std::cerr << "esfs: exported " << Documents(docs->size()) << "\n";
  return kExitOk;
}

int RunImport(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() != 2) return UsageError("import", "expected WORKSPACE FILE|-");
  const std::string& ws = args.positional[0];
  auto list = ReadDocumentList(args.positional[1]);
  if (!list.ok()) return Failure("import", list.status().message());
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("import", store.status().message());
  if (auto known = (*store)->workspaces().Get(ws); !known.ok()) return Failure("import", known.status().message());
  size_t accepted = 0, ignored = 0;
  OrderedJson invalid = OrderedJson::array();
  std::vector<core::Document> docs;
  std::vector<size_t> index_of;
  for (size_t i = 0; i < list->size(); ++i) {
    // Shape and format first, with the reference's ingest messages.
    const OrderedJson& json = (*list)[i];
    auto format = json.is_object() ? json.find("format") : json.end();
    if (!json.is_object() || format == json.end() || *format != core::kFormat) {
      auto outcome = (*store)->replica().IngestJson(ws, json);
      if (!outcome.ok()) return Failure("import", outcome.status().message());
      invalid.push_back({{"index", i}, {"error", outcome->reason}});
      continue;
    }
    auto doc = core::DocumentFromJson(json);
    if (!doc.ok()) {
      invalid.push_back({{"index", i}, {"error", doc.status().message()}});
      continue;
    }
    docs.push_back(std::move(doc.value()));
    index_of.push_back(i);
  }
  // Each chunk is its own durable transaction; an error keeps the chunks
  // before it (re-importing the file skips them cheaply).
  const bool progress = isatty(STDERR_FILENO) && docs.size() > kImportChunk;
  auto outcomes = (*store)->replica().IngestMany(ws, docs, kImportChunk, [&](size_t done) {
    if (progress) std::cerr << "\resfs: imported " << done << " / " << docs.size() << std::flush;
  });
  if (progress) std::cerr << "\n";
  if (!outcomes.ok()) return Failure("import", outcomes.status().message());
  for (size_t k = 0; k < outcomes->size(); ++k) {
    const auto& o = (*outcomes)[k];
    if (o.result == core::IngestResult::kAccepted) ++accepted;
    if (o.result == core::IngestResult::kIgnored) ++ignored;
    if (o.result == core::IngestResult::kInvalid) invalid.push_back({{"index", index_of[k]}, {"error", o.reason}});
  }
  std::sort(invalid.begin(), invalid.end(),
            [](const OrderedJson& a, const OrderedJson& b) { return a["index"] < b["index"]; });
  PrintJson({{"accepted", accepted}, {"ignored", ignored}, {"invalid", invalid}});
  return invalid.empty() ? kExitOk : kExitFailure;
}

}  // namespace

// esfs config [KEY [VALUE]]: the store's local settings (never synced).
int RunConfig(const GlobalOptions& global, const ParsedArgs& args) {
  static const char* const kKeys[] = {"versions.keep_days", "versions.max_bytes"};
  if (args.positional.size() > 2) return UsageError("config", "takes at most KEY and VALUE");
  auto store = OpenExistingStore(global);
  if (!store.ok()) return Failure("config", store.status().message());
  auto config = (*store)->local().GetVersionsConfig();
  if (!config.ok()) return Failure("config", config.status().message());
  const OrderedJson current = {{"versions.keep_days", config->keep_days}, {"versions.max_bytes", config->max_bytes}};
  if (args.positional.empty()) {
    PrintJson(current);
    return kExitOk;
  }
  const std::string& key = args.positional[0];
  if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
    return UsageError("config",
                      "unknown key " + core::Printable(key, 64) + " (versions.keep_days, versions.max_bytes)");
  }
  if (args.positional.size() == 1) {
    std::cout << current[key].dump() << "\n";
    return kExitOk;
  }
  auto value = ParseInteger(args.positional[1], key);
  if (!value.ok() || *value < 0) return UsageError("config", key + " takes a number of 0 or more");
  Status s = key == "versions.max_bytes" ? (*store)->local().SetValue(key, static_cast<uint64_t>(*value))
                                         : (*store)->local().SetValue(key, *value);
  if (!s.ok()) return Failure("config", s.message());
  return kExitOk;
}

std::vector<Command> StoreCommands() {
  return {
      {"workspace",
       "add, list, edit or remove workspaces in the store",
       "usage: esfs workspace add WORKSPACE [--pub URL]... [--only PREFIX]...\n"
       "       esfs workspace list [--json]\n"
       "       esfs workspace edit WORKSPACE [--pub URL]... [--remove-pub URL]...\n"
       "                                     [--only PREFIX]... [--all-paths]\n"
       "       esfs workspace remove-pub WORKSPACE URL...\n"
       "       esfs workspace remove WORKSPACE [--yes]\n"
       "\n"
       "add         joins a workspace (+name.suffix); --pub adds a pub to sync with\n"
       "            (repeatable; adding again keeps the pubs it had); --only limits sync,\n"
       "            both ways, to paths starting with PREFIX (repeatable, e.g. --only /wiki/\n"
       "            --only /chat/)\n"
       "list        one line per workspace: address, documents, pubs (--json: as JSON)\n"
       "edit        changes a workspace's sync: --pub adds a pub, --remove-pub takes one\n"
       "            out, --only replaces the prefixes, --all-paths syncs every path again\n"
       "remove-pub  takes the pubs out of the workspace's config (as edit --remove-pub)\n"
       "remove      drops the workspace and its documents from this store (not from pubs);\n"
       "            --yes is needed when it holds documents\n"
       "\n"
       "Changes reach a running mount or esfs sync within a moment: a pub taken out\n"
       "stops being synced, new --only prefixes hold from the next pass.\n"
       "\n"
       "options:\n"
       "  --pub URL          a pub to sync with (http:// or https://)\n"
       "  --remove-pub URL   (edit) stop syncing with this pub\n"
       "  --only PREFIX      sync only paths starting with PREFIX\n"
       "  --all-paths        (edit) sync every path again\n"
       "  --json             (list) print JSON\n"
       "  --yes              (remove) remove a workspace that holds documents\n",
       {{"pub", true, true},
        {"remove-pub", true, true},
        {"only", true, true},
        {"all-paths", false},
        {"json", false},
        {"yes", false}},
       RunWorkspace},
      {"put",
       "sign and store one document",
       "usage: esfs put WORKSPACE PATH [FILE|-] [--delete-after T]\n"
       "       esfs put --delete WORKSPACE PATH < /dev/null\n"
       "\n"
       "Signs the content of FILE (or stdin) with your identity (--key) and stores it at PATH.\n"
       "The timestamp is now, moved past the newest document at PATH so that yours wins.\n"
       "Empty input is refused (exit status 1): deleting takes --delete.\n"
       "\n"
       "options:\n"
       "  --delete           store an es.4 tombstone (empty content) at PATH; the input\n"
       "                     must be empty\n"
       "  --delete-after T   ephemeral: expires at T µs since the epoch (PATH needs a '!')\n",
       {{"delete", false}, {"delete-after", true}},
       RunPut},
      {"get",
       "print the winning document's content",
       "usage: esfs get WORKSPACE PATH [--json]\n"
       "\n"
       "Prints the content of the document that wins at PATH. PATH is the es.4 path\n"
       "(/my%20notes/a.txt) or the path as the mount shows it (\"/my notes/a.txt\").\n"
       "Exit status 1 if there is none or it was deleted.\n"
       "\n"
       "options:\n"
       "  --json   print the whole document instead\n",
       {{"json", false}},
       RunGet},
      {"export",
       "print every document of a workspace as JSON",
       "usage: esfs export WORKSPACE\n"
       "\n"
       "Prints a JSON array of every stored document of WORKSPACE, each author's newest\n"
       "version at every path (history included), in the reference's shape.\n",
       {},
       RunExport},
      {"import",
       "store documents from a JSON array",
       "usage: esfs import WORKSPACE FILE|-\n"
       "\n"
       "Validates and ingests every document of a JSON array (or {\"docs\": [...]}) and prints\n"
       "{\"accepted\": N, \"ignored\": N, \"invalid\": [{index, error}]}. Invalid documents never\n"
       "enter the store. Exit status 1 if any document was invalid.\n",
       {},
       RunImport},
      {"config",
       "show or set the store's local settings",
       "usage: esfs config [KEY [VALUE]]\n"
       "\n"
       "Without arguments prints every setting as JSON; with KEY prints one; with VALUE\n"
       "sets it. Settings are local to this store and never synced:\n"
       "  versions.keep_days   days the content a save or rm replaced is kept (30)\n"
       "  versions.max_bytes   space all kept versions may take; the oldest go first (1 GiB)\n"
       "A running mount applies them at its next sweep (at most 10 minutes).\n",
       {},
       RunConfig},
  };
}

}  // namespace esfs::cli
