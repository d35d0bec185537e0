// The checked constructor of local paths (fs/local_path.h). Pure: no file
// system calls, so that the fuzz target can drive it alone.
#include "fs/local_path.h"

#include "core/printable.h"

namespace esfs::fs {
namespace {

Status Refused(std::string_view name, const char* reason) {
  return Status::InvalidArgument("local path component \"" + core::Printable(name) + "\": " + reason);
}

}  // namespace

Status CheckLocalComponent(std::string_view name) {
  if (name.empty()) return Refused(name, "empty");
  if (name == "." || name == "..") return Refused(name, "'.' and '..' are not names");
  if (name.find('/') != std::string_view::npos) return Refused(name, "contains '/'");
  if (name.find('\0') != std::string_view::npos) return Refused(name, "contains a NUL byte");
  if (name.size() > kMaxLocalComponentBytes) return Refused(name, "over 255 bytes");
  return Status::Ok();
}

Result<LocalRelPath> LocalRelPath::Make(std::span<const std::string> components) {
  LocalRelPath path;
  for (const auto& c : components) {
    if (Status s = path.Append(c); !s.ok()) return s;
  }
  return path;
}

Status LocalRelPath::Append(std::string_view component) {
  if (Status s = CheckLocalComponent(component); !s.ok()) return s;
  components_.emplace_back(component);
  return Status::Ok();
}

Result<LocalRelPath> LocalRelPath::Child(std::string_view component) const {
  LocalRelPath child = *this;
  if (Status s = child.Append(component); !s.ok()) return s;
  return child;
}

LocalRelPath LocalRelPath::Parent() const {
  LocalRelPath parent = *this;
  if (!parent.components_.empty()) parent.components_.pop_back();
  return parent;
}

std::string LocalRelPath::Joined() const {
  if (components_.empty()) return ".";
  std::string joined;
  for (const auto& c : components_) {
    if (!joined.empty()) joined.push_back('/');
    joined += c;
  }
  return joined;
}

}  // namespace esfs::fs
