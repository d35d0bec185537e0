// esfs sign, esfs validate, esfs hash: the reference client's document
// tools (same flags and JSON shapes as shared/interop/refclient.js).
#include <iostream>

#include "cli/command.h"
#include "core/clock.h"
#include "core/signing.h"
#include "core/utf8.h"
#include "core/validate.h"
#include "keys/identity.h"

namespace esfs::cli {
namespace {

using core::OrderedJson;

Result<std::string> ContentFromArgs(const ParsedArgs& args) {
  if (args.Has("content") && args.Has("content-file")) {
    return Status::InvalidArgument("give --content or --content-file, not both");
  }
  if (auto content = args.Get("content")) return *content;
  auto file = args.Get("content-file");
  if (!file) return Status::InvalidArgument("sign needs --content or --content-file");
  auto bytes = ReadInput(*file);
  if (!bytes.ok()) return bytes.status();
  if (!core::IsValidUtf8(*bytes)) {
    return Status::InvalidDocument("content file " + *file + " is not UTF-8 text; es.4 content must be text");
  }
  return bytes;
}

int RunSign(const GlobalOptions& global, const ParsedArgs& args) {
  if (!args.positional.empty()) return UsageError("sign", "sign takes only options");
  for (const char* required : {"workspace", "path"}) {
    if (!args.Has(required)) return UsageError("sign", std::string("missing --") + required);
  }
  auto content = ContentFromArgs(args);
  if (!content.ok()) {
    if (content.status().code() == StatusCode::kInvalidArgument) {
      return UsageError("sign", content.status().message());
    }
    return Failure("sign", content.status().message());
  }
  core::SystemClock clock;
  const int64_t now = clock.NowMicros();
  core::Document doc;
  doc.workspace = *args.Get("workspace");
  doc.path = *args.Get("path");
  doc.content = std::move(content.value());
  doc.timestamp = now;
  if (auto t = args.Get("timestamp")) {
    auto parsed = ParseInteger(*t, "--timestamp");
    if (!parsed.ok()) return UsageError("sign", parsed.status().message());
    doc.timestamp = *parsed;
  }
  if (auto t = args.Get("delete-after")) {
    auto parsed = ParseInteger(*t, "--delete-after");
    if (!parsed.ok()) return UsageError("sign", parsed.status().message());
    doc.deleteAfter = *parsed;
  }
  const std::string key_file = args.Get("keypair").value_or(global.key_file);
  auto identity = keys::LoadIdentity(key_file, Warn);
  if (!identity.ok()) return Failure("sign", identity.status().message());
  identity->Sign(doc);
  if (Status valid = core::ValidateDocument(doc, now); !valid.ok()) {
    if (!args.Has("force")) {
      return Failure("sign",
                     "doc " + doc.path + " would not be valid: " + valid.message() + " (--force prints it anyway)");
    }
    Warn("the signed doc is not valid now: " + valid.message());
  }
  PrintJson(core::DocumentToJson(doc));
  return kExitOk;
}

Result<int64_t> NowFromArgs(const ParsedArgs& args) {
  if (auto t = args.Get("now")) return ParseInteger(*t, "--now");
  return core::SystemClock().NowMicros();
}

int RunValidate(const GlobalOptions&, const ParsedArgs& args) {
  if (args.positional.size() != 1) return UsageError("validate", "expected one FILE (or - for stdin)");
  auto now = NowFromArgs(args);
  if (!now.ok()) return UsageError("validate", now.status().message());
  auto docs = ReadDocumentList(args.positional[0]);
  if (!docs.ok()) return Failure("validate", docs.status().message());
  OrderedJson report = OrderedJson::array();
  bool all_valid = true;
  for (size_t i = 0; i < docs->size(); ++i) {
    const OrderedJson& json = (*docs)[i];
    auto result = core::ParseAndValidate(json, *now);
    OrderedJson entry = {{"index", i}};
    if (json.is_object() && json.contains("path")) entry["path"] = json["path"];
    if (json.is_object() && json.contains("author")) entry["author"] = json["author"];
    entry["valid"] = result.ok();
    entry["error"] = result.ok() ? OrderedJson(nullptr) : OrderedJson(result.status().message());
    all_valid = all_valid && result.ok();
    report.push_back(std::move(entry));
  }
  PrintJson(report);
  return all_valid ? kExitOk : kExitFailure;
}

int RunHash(const GlobalOptions&, const ParsedArgs& args) {
  if (args.positional.size() != 1) return UsageError("hash", "expected one FILE (or - for stdin)");
  auto docs = ReadDocumentList(args.positional[0]);
  if (!docs.ok()) return Failure("hash", docs.status().message());
  OrderedJson report = OrderedJson::array();
  bool all_hashed = true;
  for (size_t i = 0; i < docs->size(); ++i) {
    auto doc = core::DocumentFromJson((*docs)[i]);
    if (!doc.ok()) {
      report.push_back({{"index", i}, {"error", doc.status().message()}});
      all_hashed = false;
      continue;
    }
    report.push_back({{"index", i},
                      {"serialization", core::SigningText(*doc)},
                      {"hash", core::DocumentHash(*doc)},
                      {"signatureValid", core::SignatureIsValid(*doc)}});
  }
  PrintJson(report);
  return all_hashed ? kExitOk : kExitFailure;
}

}  // namespace

std::vector<Command> DocumentCommands() {
  return {
      {"sign",
       "sign one document and print it as JSON",
       "usage: esfs sign --workspace W --path P (--content C | --content-file F)\n"
       "                 [--keypair FILE] [--timestamp T] [--delete-after T] [--force]\n"
       "\n"
       "Builds an es.4 document, signs it and prints it (the reference's JSON shape).\n"
       "The signed document is validated first; an invalid one is refused.\n"
       "\n"
       "options:\n"
       "  --workspace W      workspace address, e.g. +gardening.friends\n"
       "  --path P           document path, e.g. /wiki/Bees.md\n"
       "  --content C        the content text\n"
       "  --content-file F   read the content from F (- for stdin); must be UTF-8\n"
       "  --keypair FILE     keypair JSON to sign with (default: the --key identity)\n"
       "  --timestamp T      microseconds since the epoch (default: now)\n"
       "  --delete-after T   make it ephemeral, expiring at T µs (path needs a '!')\n"
       "  --force            print the document even if it is not valid now\n",
       {{"workspace", true},
        {"path", true},
        {"content", true},
        {"content-file", true},
        {"keypair", true},
        {"timestamp", true},
        {"delete-after", true},
        {"force", false}},
       RunSign},
      {"validate",
       "check documents as the reference would",
       "usage: esfs validate FILE|- [--now T]\n"
       "\n"
       "Reads a JSON array of documents (or one document, or {\"docs\": [...]}) and\n"
       "prints, per document, {index, path, author, valid, error} with the\n"
       "reference's error messages. Exit status 0 only if every document is valid.\n"
       "\n"
       "options:\n"
       "  --now T   validate as if the time were T µs since the epoch (default: now)\n",
       {{"now", true}},
       RunValidate},
      {"hash",
       "show the exact signing text and hash of documents",
       "usage: esfs hash FILE|-\n"
       "\n"
       "Prints, per document, {index, serialization, hash, signatureValid}: the text\n"
       "that is hashed and signed, its es.4 hash, and whether the signature verifies.\n",
       {},
       RunHash},
  };
}

}  // namespace esfs::cli
