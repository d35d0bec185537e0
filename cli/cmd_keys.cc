// esfs keygen
#include <iostream>

#include "cli/command.h"
#include "keys/identity.h"

namespace esfs::cli {
namespace {

int RunKeygen(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() != 1) return UsageError("keygen", "expected one NAME");
  const std::string out = args.Get("out").value_or(global.key_file);
  auto identity = keys::Identity::Generate(args.positional[0]);
  if (!identity.ok()) return UsageError("keygen", identity.status().message());
  Status saved = keys::SaveIdentity(*identity, out, args.Has("force"));
  if (!saved.ok()) return Failure("keygen", saved.message());
  std::cerr << "esfs: wrote identity " << identity->address() << " to " << out << " (mode 0600)\n";
  std::cout << identity->address() << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> KeyCommands() {
  return {{
      "keygen",
      "create an identity (an ed25519 keypair file, mode 0600)",
      "usage: esfs keygen NAME [--out FILE] [--force]\n"
      "\n"
      "Creates a new author identity named NAME and writes it as a reference\n"
      "keypair JSON file {\"address\", \"secret\"} with mode 0600, then prints the\n"
      "address (@name.b...). NAME is 4 characters: a-z and 0-9, starting with a\n"
      "letter.\n"
      "\n"
      "options:\n"
      "  --out FILE   where to write it (default: the --key path,\n"
      "               $ESFS_KEY or ~/.config/esfs/identity.json)\n"
      "  --force      replace an existing file (the old identity is lost)\n",
      {{"out", true}, {"force", false}},
      RunKeygen,
  }};
}

}  // namespace esfs::cli
