#include "sync/reasons.h"

#include "core/printable.h"

namespace esfs::sync {

std::string ReasonKind(std::string_view why, size_t max_bytes) {
  if (const size_t but = why.find("but is "); but != std::string_view::npos) {
    why = why.substr(0, but + 6);  // "... but is"
  }
  std::string kind;
  for (size_t i = 0; i < why.size() && kind.size() < 4 * max_bytes; ++i) {
    const char c = why[i];
    if (c == '"') {
      // Skip the quoted value, honouring backslash escapes inside it.
      size_t j = i + 1;
      while (j < why.size() && why[j] != '"') j += why[j] == '\\' ? 2 : 1;
      kind += "\"…\"";
      i = j;
    } else if (c >= '0' && c <= '9') {
      while (i + 1 < why.size() && why[i + 1] >= '0' && why[i + 1] <= '9') ++i;
      kind += '#';
    } else {
      kind += c;
    }
  }
  return core::Printable(kind, max_bytes);
}

}  // namespace esfs::sync
