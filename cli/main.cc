// esfs: the command-line entry. It only parses the global options, picks a
// command and runs it; the work happens in the layers.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/crypto.h"

namespace esfs::cli {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home && *home ? home : ".";
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// A word that names a folder: has a '/', or is one.
bool IsFolderName(const std::string& word) {
  struct stat st;
  return word.find('/') != std::string::npos || (stat(word.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
}

GlobalOptions DefaultGlobals() {
  GlobalOptions g;
  const std::string data_home = EnvOr("XDG_DATA_HOME", HomeDir() + "/.local/share");
  const std::string config_home = EnvOr("XDG_CONFIG_HOME", HomeDir() + "/.config");
  g.data_dir = EnvOr("ESFS_DATA", data_home + "/esfs");
  g.key_file = EnvOr("ESFS_KEY", config_home + "/esfs/identity.json");
  return g;
}

std::vector<Command> AllCommands() {
  std::vector<Command> all = KeyCommands();
  for (auto& c : DocumentCommands()) all.push_back(std::move(c));
  for (auto& c : StoreCommands()) all.push_back(std::move(c));
  for (auto& c : MountCommands()) all.push_back(std::move(c));
  for (auto& c : SyncCommands()) all.push_back(std::move(c));
  for (auto& c : PubCommands()) all.push_back(std::move(c));
  return all;
}

void PrintMainHelp(const std::vector<Command>& commands) {
  std::cout << "esfs " << kVersion << " - Earthstar workspaces as ordinary folders\n"
            << "\n"
            << "usage: esfs [--data DIR] [--key FILE] COMMAND [ARGS...]\n"
            << "       esfs COMMAND --help\n"
            << "       esfs DATA_DIR MOUNTPOINT -o key=FILE[,OPT...]   (mount -t fuse.esfs; see esfs mount --help)\n"
            << "\n"
            << "commands:\n";
  for (const auto& c : commands) {
    std::string name = c.name;
    name.resize(12, ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
  std::cout << "\n"
            << "global options:\n"
            << "  --data DIR    the store and its config (default: $ESFS_DATA, else\n"
            << "                $XDG_DATA_HOME/esfs, i.e. ~/.local/share/esfs)\n"
            << "  --key FILE    your identity (default: $ESFS_KEY, else\n"
            << "                $XDG_CONFIG_HOME/esfs/identity.json)\n"
            << "  --version     print the version\n"
            << "\n"
            << "Exit status: 0 success, 1 a reported failure, 2 bad usage.\n";
}

int Main(int argc, char** argv) {
  if (!core::InitCrypto()) {
    std::cerr << "esfs: libsodium failed to initialise\n";
    return kExitFailure;
  }
  GlobalOptions globals = DefaultGlobals();
  const std::vector<Command> commands = AllCommands();
  int i = 1;
  for (; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--help" || word == "-h" || word == "help") {
      PrintMainHelp(commands);
      return kExitOk;
    }
    if (word == "--version") {
      std::cout << "esfs " << kVersion << "\n";
      return kExitOk;
    }
    if (word == "--data" || word == "--key") {
      if (i + 1 >= argc) {
        std::cerr << "esfs: option " << word << " needs a value (see: esfs --help)\n";
        return kExitUsage;
      }
      (word == "--data" ? globals.data_dir : globals.key_file) = argv[++i];
      continue;
    }
    if (word.rfind("--data=", 0) == 0) {
      globals.data_dir = word.substr(7);
      continue;
    }
    if (word.rfind("--key=", 0) == 0) {
      globals.key_file = word.substr(6);
      continue;
    }
    if (word.rfind('-', 0) == 0) {
      std::cerr << "esfs: unknown option " << word << " (see: esfs --help)\n";
      return kExitUsage;
    }
    break;
  }
  if (i >= argc) {
    PrintMainHelp(commands);
    return kExitUsage;
  }
  std::vector<std::string> rest(argv + i + 1, argv + argc);
  std::string name = argv[i];
  // mount(8) with type fuse.esfs runs mount.fuse3, which runs
  // "esfs DATA_DIR MOUNTPOINT -o OPTS" (libfuse's convention for a file
  // system's program): the same as "esfs --data DATA_DIR mount MOUNTPOINT -o OPTS".
  const bool known = std::any_of(commands.begin(), commands.end(), [&](const Command& c) { return c.name == name; });
  if (!known && i + 1 < argc && argv[i + 1][0] != '-' && IsFolderName(name)) {
    globals.data_dir = name;
    name = "mount";
  }
  for (const auto& command : commands) {
    if (command.name != name) continue;
    auto args = ParseArgs(rest, command.options);
    if (!args.ok()) return UsageError(name, args.status().message());
    if (args->help) {
      std::cout << command.help;
      return kExitOk;
    }
    return command.run(globals, *args);
  }
  std::cerr << "esfs: unknown command '" << name << "' (see: esfs --help)\n";
  return kExitUsage;
}

}  // namespace
}  // namespace esfs::cli

int main(int argc, char** argv) {
  try {
    return esfs::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "esfs: internal error: " << e.what() << "\n";
    return esfs::cli::kExitFailure;
  }
}
