#include "core/base64.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace esfs::core {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of each byte as a standard base64 character, -1 for
// any other. A table, not libsodium's constant-time decoder: content is
// not secret, and a 4 MB file is decoded on every open (issue #18 made
// base64 the common case for binary files under any name).
constexpr std::array<int8_t, 256> MakeSextets() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 256> kSextets = MakeSextets();

int SextetOf(char c) { return kSextets[static_cast<unsigned char>(c)]; }

// The length of |text| without its padding, if its shape is canonical
// padded base64 (length a multiple of 4, at most two '=' at the end, the
// unused low bits of the last character zero); every other character is
// checked by the caller.
std::optional<size_t> DataLength(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const size_t data = text.size() - padding;
  if (padding > 0) {
    const int low_bits_mask = padding == 1 ? 0x3 : 0xF;
    const int last = data == 0 ? -1 : SextetOf(text[data - 1]);
    if (last < 0 || (last & low_bits_mask) != 0) return std::nullopt;
  }
  return data;
}

}  // namespace

void Base64EncodeAppend(std::string_view bytes, std::string* out) {
  const size_t at = out->size();
  out->resize(at + (bytes.size() + 2) / 3 * 4);
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  char* o = out->data() + at;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3, o += 4) {
    const uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
    o[0] = kAlphabet[v >> 18];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = kAlphabet[(v >> 6) & 63];
    o[3] = kAlphabet[v & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    const uint32_t v = uint32_t{in[i]} << 16 | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0);
    o[0] = kAlphabet[v >> 18];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    o[3] = '=';
  }
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  Base64EncodeAppend(bytes, &out);
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  const auto data = DataLength(text);
  if (!data) return std::nullopt;
  std::string out(*data / 4 * 3 + (*data % 4 == 0 ? 0 : *data % 4 - 1), '\0');
  char* o = out.data();
  size_t i = 0;
  for (; i + 4 <= *data; i += 4, o += 3) {
    const int a = SextetOf(text[i]), b = SextetOf(text[i + 1]), c = SextetOf(text[i + 2]), d = SextetOf(text[i + 3]);
    if ((a | b | c | d) < 0) return std::nullopt;
    const uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6 | uint32_t(d);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>(v >> 8);
    o[2] = static_cast<char>(v);
  }
  if (const size_t rest = *data - i; rest > 0) {  // 2 or 3 characters before the padding
    if (rest == 1) return std::nullopt;
    const int a = SextetOf(text[i]), b = SextetOf(text[i + 1]), c = rest == 3 ? SextetOf(text[i + 2]) : 0;
    if ((a | b | c) < 0) return std::nullopt;
    const uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6;
    o[0] = static_cast<char>(v >> 16);
    if (rest == 3) o[1] = static_cast<char>(v >> 8);
  }
  return out;
}

std::optional<size_t> Base64DecodedSize(std::string_view text) {
  const auto data = DataLength(text);
  if (!data) return std::nullopt;
  if (*data % 4 == 1) return std::nullopt;
  // Checked in blocks: text that is not base64 stops at its first block.
  constexpr size_t kBlock = 4096;
  for (size_t begin = 0; begin < *data; begin += kBlock) {
    const size_t end = std::min(*data, begin + kBlock);
    int all = 0;
    for (size_t i = begin; i < end; ++i) all |= SextetOf(text[i]);
    if (all < 0) return std::nullopt;
  }
  return *data / 4 * 3 + (*data % 4 == 0 ? 0 : *data % 4 - 1);
}

}  // namespace esfs::core
