// Standard base64 with padding (RFC 4648 §4), as es.4 apps store binary
// files (spec §13). Table-driven (content is not secret).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace esfs::core {

std::string Base64Encode(std::string_view bytes);
// The same appended to |*out| (no second buffer for a 4 MB file).
void Base64EncodeAppend(std::string_view bytes, std::string* out);
// nullopt unless |text| is canonical padded base64 (no spaces or newlines).
std::optional<std::string> Base64Decode(std::string_view text);
// The size Base64Decode(text) would give, without decoding or allocating:
// nullopt exactly when Base64Decode gives nullopt.
std::optional<size_t> Base64DecodedSize(std::string_view text);

}  // namespace esfs::core
