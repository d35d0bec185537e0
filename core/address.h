// Author and workspace addresses (spec §3, §4).
//
// The checks run in the reference's order and return the reference's
// messages, so that a rejected document reads the same here as in
// earthstar. The author pubkey is only checked for its characters here;
// decoding it (strictly) is the signature check's job.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace esfs::core {

// "@suzy.b<52 base32>" split into its parts.
struct AuthorAddress {
  std::string shortname;  // "suzy"
  std::string pubkey;     // "b..." (53 characters)
};

// The parts of a valid author address, or InvalidDocument with the
// reference's message ("author address \"...\" must start with \"@\"").
Result<AuthorAddress> ParseAuthorAddress(std::string_view address);

// The parts of "+name.suffix".
struct WorkspaceAddress {
  std::string name;
  std::string suffix;
};

Result<WorkspaceAddress> ParseWorkspaceAddress(std::string_view address);

}  // namespace esfs::core
