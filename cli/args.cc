#include "cli/args.h"

#include <charconv>

namespace esfs::cli {

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs) {
  ParsedArgs parsed;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (options_done || word.size() < 2 || word[0] != '-' || word == "-") {
      parsed.positional.push_back(word);
      continue;
    }
    if (word == "--") {
      options_done = true;
      continue;
    }
    if (word == "-h" || word == "--help") {
      parsed.help = true;
      continue;
    }
    std::string name;
    std::optional<std::string> inline_value;
    const OptionSpec* spec = nullptr;
    if (word.rfind("--", 0) != 0) {
      for (const auto& s : specs) {
        if (s.short_name != 0 && s.short_name == word[1]) spec = &s;
      }
      if (spec == nullptr) return Status::InvalidArgument("unknown option " + word);
      name = spec->name;
      if (word.size() > 2) {
        if (!spec->takes_value) return Status::InvalidArgument("unknown option " + word);
        inline_value = word.substr(2);
      }
    } else {
      name = word.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      for (const auto& s : specs) {
        if (s.name == name) spec = &s;
      }
    }
    if (spec == nullptr) return Status::InvalidArgument("unknown option --" + name);
    if (!spec->repeatable && parsed.Has(name)) {
      return Status::InvalidArgument("option --" + name + " given twice");
    }
    if (!spec->takes_value) {
      if (inline_value) return Status::InvalidArgument("option --" + name + " takes no value");
      parsed.values[name].push_back("");
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argv.size()) return Status::InvalidArgument("option --" + name + " needs a value");
      inline_value = argv[++i];
    }
    parsed.values[name].push_back(*inline_value);
  }
  return parsed;
}

Result<int64_t> ParseInteger(const std::string& text, const std::string& what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(what + " must be a whole number, not \"" + text + "\"");
  }
  return value;
}

Result<int64_t> ParseDuration(const std::string& text, const std::string& what) {
  const Status bad =
      Status::InvalidArgument(what + " must be a duration like 90s, 30m, 24h or 7d, not \"" + text + "\"");
  if (text.empty()) return bad;
  int64_t unit_s = 1;
  std::string number = text;
  switch (text.back()) {
    case 's': unit_s = 1; break;
    case 'm': unit_s = 60; break;
    case 'h': unit_s = 3600; break;
    case 'd': unit_s = 86400; break;
    default: number.push_back('s');  // a bare number: seconds
  }
  number.pop_back();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  constexpr int64_t kMaxSeconds = int64_t{100} * 365 * 86400;
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || value <= 0 ||
      value > kMaxSeconds / unit_s) {
    return bad;
  }
  return value * unit_s * 1'000'000;
}

}  // namespace esfs::cli
