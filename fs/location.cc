#include "fs/location.h"

#include <algorithm>
#include <optional>

#include "core/printable.h"
#include "fs/names.h"

namespace esfs::fs {

std::string Location::Key() const {
  std::string key = ws;
  key.push_back('\0');
  for (const auto& p : parts) key += p + "/";
  return key;
}

std::string Location::EsPath() const {
  std::string path;
  for (const auto& s : segs) path += "/" + s;
  return path;
}

std::string Location::EsFolderPrefix() const { return EsPath() + "/"; }

bool Location::IsRootLocal() const { return !ws.empty() && ws[0] != '+' && IsJunkName(ws); }

bool Location::IsHistory() const { return !IsRootLocal() && !parts.empty() && parts[0] == kHistoryFolder; }

Location Location::HistorySubject() const {
  Location subject;
  subject.ws = ws;
  if (parts.size() > 1) {
    subject.parts.assign(parts.begin() + 1, parts.end());
    subject.segs.assign(segs.begin() + 1, segs.end());
  }
  return subject;
}

Location Location::Child(const std::string& name) const { return Child(name, NameToSegment(name)); }

Location Location::Child(const std::string& name, const std::string& seg) const {
  Location child = *this;
  child.file_twin = false;
  if (child.ws.empty()) {
    child.ws = name;
  } else {
    child.parts.push_back(name);
    child.segs.push_back(seg);
  }
  return child;
}

bool Location::IsChildOf(const Location& dir) const {
  return ws == dir.ws && parts.size() == dir.parts.size() + 1 &&
         std::equal(dir.parts.begin(), dir.parts.end(), parts.begin());
}

Location Location::Parent() const {
  Location parent = *this;
  parent.file_twin = false;
  if (!parent.parts.empty()) {
    parent.parts.pop_back();
    parent.segs.pop_back();
  } else {
    parent.ws.clear();
  }
  return parent;
}

std::string Location::DocName() const { return segs.empty() ? "" : SegmentToName(segs.back()); }

Location LocationOfPath(const std::string& ws, const std::string& path) {
  // Path "/a/b%20c" -> names a, "b c".
  Location loc;
  loc.ws = ws;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string seg = path.substr(start, slash - start);
    loc.parts.push_back(SegmentToName(seg, loc.parts.empty()));
    loc.segs.push_back(seg);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return loc;
}

Result<LocalRelPath> LocalRelOf(const Location& loc) {
  LocalRelPath path;
  if (loc.ws.empty()) return path;
  if (Status s = path.Append(loc.ws); !s.ok()) return s;
  for (const auto& p : loc.parts) {
    if (Status s = path.Append(p); !s.ok()) return s;
  }
  return path;
}

std::string Describe(const Location& loc) {
  std::string text = loc.ws;
  for (const auto& p : loc.parts) text += "/" + p;
  return core::Printable(text, 1024);  // names from peers: never raw in a log line
}

core::NameKind KindOf(const Location& loc) {
  return !loc.parts.empty() && IsBinaryName(loc.DocName()) ? core::NameKind::kBinary : core::NameKind::kText;
}

std::string FileBytes(const Location& loc, std::string content) {
  if (KindOf(loc) == core::NameKind::kText && !core::IsBase64DataUrl(content)) return content;  // no copy
  return core::DecodeContent(KindOf(loc), content);
}

void AssignFileBytes(const Location& loc, std::string_view content, std::string* out) {
  core::DecodeContentInto(KindOf(loc), content, out);
}

uint64_t FileSize(const Location& loc, std::string_view content) { return core::DecodedSize(KindOf(loc), content); }

std::string DocContent(const Location& loc, const std::string& bytes) {
  return core::EncodeContent(KindOf(loc), bytes);
}

}  // namespace esfs::fs
