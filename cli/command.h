// The esfs command table and what every command shares: global options,
// reading FILE-or-stdin input, and the exit-status convention
// (0 success, 1 a reported failure, 2 bad usage).
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "core/document.h"
#include "core/status.h"
#include "core/store.h"

namespace esfs::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct GlobalOptions {
  std::string data_dir;  // --data, $ESFS_DATA, ~/.local/share/esfs
  std::string key_file;  // --key, $ESFS_KEY, ~/.config/esfs/identity.json
};

struct Command {
  std::string name;
  std::string summary;  // one line for `esfs --help`
  std::string help;     // the whole text of `esfs NAME --help`
  std::vector<OptionSpec> options;
  int (*run)(const GlobalOptions&, const ParsedArgs&);
};

// Commands, in the order `esfs --help` lists them.
std::vector<Command> KeyCommands();
std::vector<Command> DocumentCommands();
std::vector<Command> StoreCommands();
std::vector<Command> MountCommands();
std::vector<Command> SyncCommands();
std::vector<Command> PubCommands();

// "esfs NAME: message (see: esfs NAME --help)" on stderr; returns 2.
int UsageError(const std::string& command, const std::string& message);
// "esfs NAME: message" on stderr; returns 1.
int Failure(const std::string& command, const std::string& message);
void Warn(const std::string& message);

// The store of --data for a command that only reads or changes what is
// there: NotFound ("there is no store in DIR ...") when the folder holds
// none, and then nothing is created. Commands that add (workspace add,
// mount, sync) use core::Store::Open, which creates it.
Result<std::unique_ptr<core::Store>> OpenExistingStore(const GlobalOptions& global);

// The bytes of FILE, or of stdin for "-". IoError names the file.
Result<std::string> ReadInput(const std::string& file);

// Parses a JSON document list (array, {"docs": [...]}, or one object).
Result<std::vector<core::OrderedJson>> ReadDocumentList(const std::string& file);

// Pretty JSON (two spaces, like the reference tools) and a newline on stdout.
void PrintJson(const core::OrderedJson& json);

}  // namespace esfs::cli
