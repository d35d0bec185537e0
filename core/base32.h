// es.4 base32: RFC 4648 alphabet in lowercase, no padding, with the multibase
// prefix "b" (spec §1). Used for author keys, secrets, signatures and hashes.
//
// Decoding is strict, as earthstar 6.8.5 (the pub) decodes: non-zero unused
// trailing bits, 5 or more dangling bits, uppercase, padding and digits
// outside 2-7 are all errors (DESIGN decision 1). Error texts are 6.8.5's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace esfs::core {

// "b" + lowercase base32 of the bytes. Never fails.
std::string Base32Encode(std::span<const uint8_t> bytes);

// Inverse of Base32Encode; InvalidArgument with the 6.8.5 message otherwise.
Result<std::vector<uint8_t>> Base32Decode(std::string_view text);

}  // namespace esfs::core
