#include "fs/names.h"

#include <cctype>
#include <cstdio>

#include "core/crypto.h"
#include "core/path.h"

namespace esfs::fs {
namespace {

// '~' only means something at the start of a segment "~@author"; anywhere
// else (note.txt~, draft~2) it would make a path nobody may write, so it
// is encoded there.
bool NeedsEncoding(unsigned char c, bool owner_segment) {
  if (c == '%' || c == '*' || c == '/') return true;
  if (c == '~') return !owner_segment;
  return !core::IsPathChar(static_cast<char>(c));
}

bool IsOwnerSegment(std::string_view s) { return s.substr(0, 2) == "~@"; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lowercase hex is never produced, so it never decodes
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "sedXXXXXX"-style temp names: a fixed prefix and exactly |n| random
// alphanumerics.
bool TempName(std::string_view name, std::string_view prefix, size_t n) {
  if (!StartsWith(name, prefix) || name.size() != prefix.size() + n) return false;
  for (char c : name.substr(prefix.size())) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The history folder's name (kHistoryFolder in fs/filesystem.h), reserved
// at the workspace root.
constexpr std::string_view kHistoryName = ".esfs-history";
// What an over-long name keeps of itself, and of its extension.
constexpr size_t kLongNamePrefixBytes = 200;
constexpr size_t kLongNameExtensionBytes = 16;

// "%XX" decoded where encoding would have produced it (docs/names.md).
std::string Decode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  const bool owner = IsOwnerSegment(segment);
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size()) {
      int hi = HexValue(segment[i + 1]), lo = HexValue(segment[i + 2]);
      if (hi >= 0 && lo >= 0) {
        const unsigned char byte = static_cast<unsigned char>(hi * 16 + lo);
        if (NeedsEncoding(byte, owner) && byte != '/' && byte != 0) {
          out.push_back(static_cast<char>(byte));
          i += 2;
          continue;
        }
      }
    }
    out.push_back(segment[i]);
  }
  return out;
}

// A name of at most kMaxNameBytes for the segment |segment| whose decoded
// name |name| is longer: its first bytes (cut at a character boundary),
// '%', 16 hex digits of the segment's SHA-256, and its extension.
std::string ShortName(std::string_view segment, std::string_view name) {
  size_t cut = kLongNamePrefixBytes;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  std::string out(name.substr(0, cut));
  out.push_back('%');
  const core::Sha256Digest digest = core::Sha256(segment);
  for (size_t i = 0; i < 8; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02X", digest[i]);
    out += hex;
  }
  const size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > cut && name.size() - dot <= kLongNameExtensionBytes) {
    out += name.substr(dot);
  }
  return out;
}

}  // namespace

std::string NameToSegment(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  const bool owner = IsOwnerSegment(name);
  for (unsigned char c : name) {
    if (NeedsEncoding(c, owner)) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string SegmentToName(std::string_view segment, bool workspace_root) {
  // Names no folder can list as a file of its own (DESIGN decision 13).
  if (segment == ".") return "%2E";
  if (segment == "..") return "%2E%2E";
  if (workspace_root && segment == kHistoryName) return "%2E" + std::string(kHistoryName.substr(1));
  std::string name = Decode(segment);
  // "%7E@x" decodes to "~@x", a look-alike of an owned folder that nobody
  // owns (the path holds no '~'): keep the escape visible.
  if (name.starts_with("~@") && !IsOwnerSegment(segment)) name.replace(0, 1, "%7E");
  if (name.size() > kMaxNameBytes) return ShortName(segment, name);
  return name;
}

bool IsBinaryName(std::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string ext;
  for (char c : name.substr(dot + 1)) ext.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* binary :
       {"gif", "jpg", "jpeg", "png", "mp3", "mp4", "mov", "wav", "webm", "ogg", "zip", "rar", "pdf", "doc", "docx"}) {
    if (ext == binary) return true;
  }
  return false;
}

bool IsLocalOnlyFolder(std::string_view name) { return name == ".git" || name == ".hg" || name == ".svn"; }

bool IsJunkName(std::string_view name) {
  if (name.empty()) return false;
  // vim: swap files (.x.swp, .x.swo, .x.swx, ...) and its write probe.
  if (name[0] == '.' && name.size() > 4 && name.substr(name.size() - 4, 3) == ".sw") return true;
  if (name == "4913") return true;
  // Backups: vim, emacs, nano (x~); emacs autosave (#x#) and locks (.#x).
  if (name.back() == '~') return true;
  if (name.size() >= 2 && name.front() == '#' && name.back() == '#') return true;
  if (StartsWith(name, ".#")) return true;
  // Office and desktop junk.
  if (StartsWith(name, ".~lock.")) return true;
  if (name == ".DS_Store" || StartsWith(name, "._") || StartsWith(name, ".Trash-") || name == ".Trash") return true;
  if (name == "Thumbs.db" || name == "desktop.ini") return true;
  // esfs's own list of more local-only names (fs/local_names.h).
  if (name == ".esfsignore") return true;
  if (EndsWith(name, ".kate-swp") || EndsWith(name, ".part") || StartsWith(name, "~$")) return true;
  // Temp names of atomic saves: gio, sed, rsync, python tempfile, git.
  if (StartsWith(name, ".goutputstream-")) return true;
  if (TempName(name, "sed", 6)) return true;
  if (TempName(name, "tmp", 8)) return true;
  if (name.size() > 8 && name[0] == '.' && name[name.size() - 7] == '.') {
    // rsync: ".name.XXXXXX"
    if (TempName(name.substr(name.size() - 7), ".", 6)) return true;
  }
  return false;
}

}  // namespace esfs::fs
