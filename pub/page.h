// The pub's HTML page at "/": its workspaces with their document counts
// and most recent documents, its version, whether it is closed or
// read-only, and its peers. Plain server-rendered HTML with its style
// inline: no script, no external asset. Every piece of text from outside
// (workspace addresses, paths, authors, content, peer URLs) is escaped.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/document.h"

namespace esfs::pub {

struct PageWorkspace {
  std::string address;
  uint64_t documents = 0;
  uint64_t last = 0;                   // the workspace's newest number
  std::vector<core::Document> recent;  // newest first
};

struct PageData {
  std::string version;
  bool readonly = false;
  bool closed = false;
  std::vector<std::string> peers;
  std::vector<PageWorkspace> workspaces;
};

// & < > " ' as entities; control characters and invalid UTF-8 made
// printable first (core/printable.h), cut at |max_bytes|.
std::string HtmlEscape(std::string_view text, size_t max_bytes = 512);

std::string RenderPage(const PageData& data);

}  // namespace esfs::pub
