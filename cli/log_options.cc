#include "cli/log_options.h"

#include <unistd.h>
#include <climits>
#include <cstdlib>

namespace esfs::cli {

const char* const kLogOptionsHelp =
    "  --log-level L        error, warn, info (default) or debug\n"
    "  --log-file FILE      log there (rotated at 10 MiB to FILE.1, as the default log)\n";

std::vector<OptionSpec> LogOptionSpecs() { return {{"log-level", true}, {"log-file", true}}; }

Result<LogSettings> ParseLogSettings(const ParsedArgs& args) {
  LogSettings settings;
  if (auto level = args.Get("log-level")) {
    auto parsed = core::ParseLogLevel(*level);
    if (!parsed)
      return Status::InvalidArgument("--log-level must be error, warn, info or debug, not \"" + *level + "\"");
    settings.level = *parsed;
  }
  if (auto file = args.Get("log-file")) {
    if (file->empty()) return Status::InvalidArgument("--log-file needs a file name");
    // A daemon keeps logging after the shell that started it moved on.
    if ((*file)[0] == '/') {
      settings.file = *file;
    } else {
      char cwd[PATH_MAX];
      settings.file = (getcwd(cwd, sizeof cwd) ? std::string(cwd) : std::string(".")) + "/" + *file;
    }
  }
  return settings;
}

}  // namespace esfs::cli
