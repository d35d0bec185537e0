#include "core/base64.h"

#include <sodium.h>

#include "core/crypto.h"

namespace esfs::core {
namespace {

// The 6-bit value of a standard base64 character, -1 for any other.
int SextetOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  InitCrypto();
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  InitCrypto();
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(length);
  // Canonical only: re-encoding must give the same text (no stray bits).
  if (Base64Encode(out) != text) return std::nullopt;
  return out;
}

std::optional<size_t> Base64DecodedSize(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view data = text.substr(0, text.size() - padding);
  for (char c : data) {
    if (SextetOf(c) < 0) return std::nullopt;
  }
  // Canonical: the bits of the last character that fall past the end of
  // the bytes are zero (2 of them before "=", 4 before "==").
  if (padding > 0) {
    const int low_bits_mask = padding == 1 ? 0x3 : 0xF;
    if (data.empty() || (SextetOf(data.back()) & low_bits_mask) != 0) return std::nullopt;
  }
  return data.size() / 4 * 3 + (padding == 0 ? 0 : 3 - padding);
}

}  // namespace esfs::core
