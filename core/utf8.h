// UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
// es.4 content is text; bytes that are not UTF-8 must never be signed.
#pragma once

#include <string_view>

namespace esfs::core {

bool IsValidUtf8(std::string_view bytes);

}  // namespace esfs::core
