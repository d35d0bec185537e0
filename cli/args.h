// Command-line parsing for esfs: a plain struct filled from argv, unit
// tested without running a command. Options are "--name VALUE",
// "--name=VALUE" or boolean "--name", and "-x" for options with a short
// name; everything else is positional; "--" ends the options.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace esfs::cli {

struct OptionSpec {
  std::string name;  // without the dashes
  bool takes_value;  // false: a boolean flag
  bool repeatable = false;
  char short_name = 0;  // e.g. 'f' for -f; "-oVALUE" and "-o VALUE" both work
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>> values;  // option -> values given
  std::vector<std::string> positional;
  bool help = false;

  bool Has(const std::string& name) const { return values.contains(name); }
  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
};

// InvalidArgument names the offending word ("unknown option --x").
// "-h" and "--help" set |help| wherever they appear.
Result<ParsedArgs> ParseArgs(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs);

// A decimal integer that fits in int64, or InvalidArgument naming |what|.
Result<int64_t> ParseInteger(const std::string& text, const std::string& what);

// A positive duration "90", "90s", "30m", "24h" or "7d" (bare numbers are
// seconds), at most 100 years, in microseconds; InvalidArgument naming |what|.
Result<int64_t> ParseDuration(const std::string& text, const std::string& what);

}  // namespace esfs::cli
