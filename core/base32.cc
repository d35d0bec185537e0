#include "core/base32.h"

#include <array>

namespace esfs::core {
namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

// Value of a base32 character, or kNotBase32.
constexpr uint8_t kNotBase32 = 0xff;
constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kNotBase32;
  for (int i = 0; i < 32; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return table;
}
constexpr auto kDecodeTable = MakeDecodeTable();

}  // namespace

std::string Base32Encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(1 + (bytes.size() * 8 + 4) / 5);
  out.push_back('b');
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(buffer >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<std::vector<uint8_t>> Base32Decode(std::string_view text) {
  // Order of checks follows earthstar 6.8.5 + rfc4648's parse().
  if (text.empty() || text[0] != 'b') {
    return Status::InvalidArgument("can't decode base32 string - it should start with a 'b'. " + std::string(text));
  }
  std::string_view body = text.substr(1);
  if (!body.empty() && body.back() == '=') {
    return Status::InvalidArgument("can't decode base32 string - it contains padding characters ('=')");
  }
  std::vector<uint8_t> out;
  out.reserve(body.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : body) {
    const uint8_t value = kDecodeTable[static_cast<uint8_t>(c)];
    if (value == kNotBase32) return Status::InvalidArgument(std::string("Invalid character ") + c);
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
    }
  }
  // Leftover bits must be fewer than one character's worth and all zero.
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) {
    return Status::InvalidArgument("Unexpected end of data");
  }
  return out;
}

}  // namespace esfs::core
