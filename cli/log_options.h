// --log-level and --log-file, shared by every long-running command (mount,
// sync, pub): one spelling, one parser, one help text.
//
// Thread safety: plain functions and data.
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "core/log.h"
#include "core/status.h"

namespace esfs::cli {

struct LogSettings {
  core::LogLevel level = core::LogLevel::kInfo;
  std::string file;  // absolute; empty: the command's default
};

// The two options, to append to a command's OptionSpecs.
std::vector<OptionSpec> LogOptionSpecs();
// InvalidArgument naming the bad level.
Result<LogSettings> ParseLogSettings(const ParsedArgs& args);
// The lines of --help that describe them.
extern const char* const kLogOptionsHelp;

}  // namespace esfs::cli
