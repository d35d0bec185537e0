#include "core/path.h"

#include <string>

namespace esfs::core {
namespace {

Status Bad(std::string message) { return Status::InvalidDocument(std::move(message)); }

// JavaScript's string.length for UTF-8 text: 4-byte sequences are two
// UTF-16 code units, continuation bytes add nothing.
size_t Utf16Length(std::string_view utf8) {
  size_t units = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) == 0x80) continue;
    units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

}  // namespace

bool IsPathChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '/':
    case '\'':
    case '(':
    case ')':
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '+':
    case ',':
    case ':':
    case '=':
    case '@':
    case '%': return true;
    default: return false;
  }
}

Status CheckPath(std::string_view path, bool is_ephemeral) {
  // Spec §5 `_checkPathIsValid`, checks 1-8 in order.
  if (path.empty() || path.front() != '/') return Bad("invalid path: must start with /");
  if (path.back() == '/') return Bad("invalid path: must not end with /");
  if (path.substr(0, 2) == "/@") return Bad("invalid path: must not start with \"/@\"");
  if (path.find("//") != std::string_view::npos) {
    return Bad("invalid path: must not contain two consecutive slashes");
  }
  if (path.size() < 2) return Bad("invalid path: must not be shorter than 2 characters");
  // The reference measures length in UTF-16 code units, before it looks at
  // the characters, so a long non-ASCII path reports its length first.
  if (Utf16Length(path) > kMaxPathLength) return Bad("invalid path: must not be longer than 512 characters");
  for (char c : path) {
    if (!IsPathChar(c)) return Bad("invalid path: must not contain disallowed characters");
  }
  const bool has_bang = path.find('!') != std::string_view::npos;
  if (is_ephemeral && !has_bang) return Bad("when deleteAfter is set, path must contain '!'");
  if (!is_ephemeral && has_bang) return Bad("when deleteAfter is null, path must not contain '!'");
  return Status::Ok();
}

bool AuthorCanWrite(std::string_view author, std::string_view path) {
  if (path.find('~') == std::string_view::npos) return true;
  std::string marker = "~" + std::string(author);
  return path.find(marker) != std::string_view::npos;
}

Status CheckAuthorCanWrite(std::string_view author, std::string_view path) {
  if (AuthorCanWrite(author, path)) return Status::Ok();
  return Status::PermissionDenied("author " + std::string(author) + " can't write to path " + std::string(path));
}

}  // namespace esfs::core
