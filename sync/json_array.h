// Splitting a JSON array into the text of its elements without parsing
// them: a pub's listing (megabytes) can then be parsed part by part while
// the parts before are being verified and stored.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"

namespace esfs::sync {

// The text of each top-level element of the JSON array |text| (surrounding
// whitespace trimmed), in order. Fails (InvalidArgument) unless |text| is
// one array whose brackets, braces and strings all close: HTML, a bare
// object and a reply cut off in the middle are refused before any element
// is used. The elements themselves are not checked: each is parsed later.
Result<std::vector<std::string_view>> SplitJsonArray(std::string_view text);

}  // namespace esfs::sync
