#include "fs/local_names.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>

#include "fs/location.h"
#include "fs/names.h"

namespace esfs::fs {
namespace {

constexpr auto kRecheckInterval = std::chrono::seconds(1);

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool Matches(const std::string& pattern, const std::string& text, int flags) {
  return ::fnmatch(pattern.c_str(), text.c_str(), flags) == 0;
}

}  // namespace

IgnorePatterns IgnorePatterns::Parse(std::string_view text, std::vector<std::string>* problems) {
  IgnorePatterns out;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = TrimRight(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto skip = [&](const std::string& why) {
      if (problems) problems->push_back("line " + std::to_string(line_no) + " (" + std::string(line) + "): " + why);
    };
    if (line.front() == '!') {
      skip("skipped: '!' (an exception to a pattern) is not supported");
      continue;
    }
    std::string_view pattern = line;
    while (!pattern.empty() && pattern.back() == '/') pattern.remove_suffix(1);
    const bool rooted = pattern.find('/') != std::string_view::npos;
    while (!pattern.empty() && pattern.front() == '/') pattern.remove_prefix(1);
    if (pattern.empty()) {
      skip("skipped: it names no file or folder (the workspace itself stays published)");
      continue;
    }
    (rooted ? out.rooted_ : out.any_level_).emplace_back(pattern);
  }
  return out;
}

size_t IgnorePatterns::FirstMatch(std::span<const std::string> names) const {
  std::string path;
  for (size_t i = 0; i < names.size(); ++i) {
    for (const auto& pattern : any_level_) {
      if (Matches(pattern, names[i], 0)) return i;
    }
    if (rooted_.empty()) continue;
    if (i > 0) path.push_back('/');
    path += names[i];
    for (const auto& pattern : rooted_) {
      if (Matches(pattern, path, FNM_PATHNAME)) return i;
    }
  }
  return names.size();
}

size_t FirstLocalName(std::span<const std::string> names, const IgnorePatterns* patterns) {
  size_t first = names.size();
  for (size_t i = 0; i < names.size(); ++i) {
    if (IsJunkName(names[i]) || IsLocalOnlyFolder(names[i])) {
      first = i;
      break;
    }
  }
  if (patterns == nullptr || patterns->size() == 0) return first;
  return std::min(first, patterns->FirstMatch(names.first(first)));
}

LocalNames::LocalNames(std::string data_dir, std::function<void(const std::string&)> log)
    : data_dir_(std::move(data_dir)), local_root_(data_dir_ + "/local"), log_(std::move(log)) {}

std::shared_ptr<const IgnorePatterns> LocalNames::For(const std::string& ws) const {
  std::scoped_lock lock(mu_);
  auto it = by_ws_.find(ws);
  if (it == by_ws_.end()) it = by_ws_.emplace(ws, Entry{}).first;
  Entry& entry = it->second;
  const auto now = std::chrono::steady_clock::now();
  if (!entry.read || now - entry.checked >= kRecheckInterval) {
    Refresh(ws, entry, !entry.read);
    entry.read = true;
    entry.checked = now;
  }
  return entry.patterns;
}

size_t LocalNames::FirstLocal(const std::string& ws, std::span<const std::string> names) const {
  return FirstLocalName(names, For(ws).get());
}

void LocalNames::Changed(const std::string& ws) {
  // Read now, so that the log says at once what the saved list holds.
  std::scoped_lock lock(mu_);
  Entry& entry = by_ws_[ws];
  Refresh(ws, entry, true);
  entry.read = true;
  entry.checked = std::chrono::steady_clock::now();
}

void LocalNames::Refresh(const std::string& ws, Entry& entry, bool changed) const {
  Location list;
  list.ws = ws;
  list.parts = {kIgnoreFileName};
  // A workspace address is always one valid name; if not, there is no list.
  auto path = LocalRelOf(list);
  const std::string shown = Describe(list);
  struct stat st;
  FileId id;
  if (path.ok() && local_root_.Stat(*path, &st)) {
    id = {.exists = true,
          .ino = st.st_ino,
          .size = static_cast<uint64_t>(st.st_size),
          .mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  // The same file, size and time: unchanged (a save through the mount
  // says so itself, as two writes within one clock tick look alike).
  if (id == entry.id && !(changed && id.exists)) return;
  auto log = [&](const std::string& line) {
    if (log_) log_(line);
  };
  const size_t before = entry.patterns->size();
  if (!id.exists) {
    entry.id = id;
    entry.patterns = std::make_shared<IgnorePatterns>();
    if (before > 0) log(shown + " is gone: only the built-in local-only names apply");
    return;
  }
  if (!S_ISREG(st.st_mode) || id.size > kMaxIgnoreFileBytes) {
    entry.id = id;  // said once, not at every check
    log(shown + ": not read (" + (S_ISREG(st.st_mode) ? "over 1 MiB" : "not a file") + "); " + std::to_string(before) +
        " pattern(s) read before stay in use");
    return;
  }
  auto text = local_root_.ReadFile(*path);
  if (!text.ok()) {
    log(shown + ": " + text.status().message() + "; " + std::to_string(before) + " pattern(s) read before stay in use");
    return;  // tried again at the next check
  }
  std::vector<std::string> problems;
  entry.patterns = std::make_shared<IgnorePatterns>(IgnorePatterns::Parse(*text, &problems));
  entry.id = id;
  for (const auto& problem : problems) log(shown + " " + problem);
  log(shown + ": " + std::to_string(entry.patterns->size()) +
      " pattern(s): matching names stay local-only, never signed or synced");
}

}  // namespace esfs::fs
