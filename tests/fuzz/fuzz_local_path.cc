// libFuzzer target: the checked constructor of local paths (fs/local_path.h,
// docs/fuzzing.md). Property: for any list of components, LocalRelPath
// either refuses it or gives a path that, resolved lexically below a root,
// stays inside that root, one level per component.
//
// Input: one selector byte, then the text. selector % 2 picks the split:
//   0  components separated by '\n' (so '/', NUL, "." and ".." all occur
//      inside components)
//   1  an es.4-like path split at '/' (as a document's segments are)
// Each check aborts when an invariant fails.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fs/local_path.h"

namespace {

using esfs::fs::LocalRelPath;

[[noreturn]] void Fail(const char* what, const std::vector<std::string>& parts) {
  std::fprintf(stderr, "fuzz_local_path: %s\ncomponents (%zu):", what, parts.size());
  for (const auto& p : parts) {
    std::fprintf(stderr, " [");
    for (unsigned char c : p) std::fprintf(stderr, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
    std::fprintf(stderr, "]");
  }
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::abort();
}

void Require(bool condition, const char* what, const std::vector<std::string>& parts) {
  if (!condition) Fail(what, parts);
}

// The rule, written again independently of fs/local_path.cc.
bool IsOneName(std::string_view c) {
  return !c.empty() && c != "." && c != ".." && c.find('/') == std::string_view::npos &&
         c.find('\0') == std::string_view::npos && c.size() <= 255;
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// "/root/<joined>" resolved lexically must be "/root" followed by exactly
// |parts.size()| levels, none of them "." or "..".
void CheckInsideRoot(const LocalRelPath& path, const std::vector<std::string>& parts) {
  const std::filesystem::path root("/esfs-fuzz-root");
  const std::filesystem::path joined = root / path.Joined();
  const std::filesystem::path resolved = joined.lexically_normal();
  const std::filesystem::path relative = resolved.lexically_relative(root);
  Require(!relative.empty(), "the path resolves outside its root", parts);
  size_t depth = 0;
  for (const auto& level : relative) {
    Require(level != "..", "the path climbs above its root", parts);
    if (level != ".") ++depth;
  }
  Require(depth == path.components().size(), "the path does not resolve to one level per component", parts);
  Require(*resolved.begin() == "/" && *std::next(resolved.begin()) == "esfs-fuzz-root",
          "the resolved path does not start with its root", parts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<std::string> parts = Split(text, data[0] % 2 == 0 ? '\n' : '/');

  bool all_names = true;
  for (const auto& p : parts) all_names = all_names && IsOneName(p);
  auto made = LocalRelPath::Make(parts);
  // Refused exactly when a component breaks the rule, and with the code
  // the mount maps to EINVAL.
  Require(made.ok() == all_names, made.ok() ? "a bad component was accepted" : "a good path was refused", parts);
  if (!made.ok()) {
    Require(made.status().code() == esfs::StatusCode::kInvalidArgument, "refused with another code", parts);
    Require(made.status().message().find('\0') == std::string::npos, "a NUL byte in the message", parts);
    // Appending one at a time stops at the same place and leaves the
    // path as it was before the bad component.
    LocalRelPath step;
    for (const auto& p : parts) {
      const size_t before = step.components().size();
      if (!step.Append(p).ok()) {
        Require(!IsOneName(p) && step.components().size() == before, "Append changed a refused path", parts);
        break;
      }
    }
    return 0;
  }
  Require(made->components() == parts, "the components changed", parts);
  CheckInsideRoot(*made, parts);
  // Joined() splits back into the same components.
  if (!parts.empty()) Require(Split(made->Joined(), '/') == parts, "Joined() does not split back", parts);
  return 0;
}
