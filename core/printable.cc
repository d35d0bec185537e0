#include "core/printable.h"

#include <cstdint>
#include <cstdio>

namespace esfs::core {
namespace {

void AppendByte(std::string* out, unsigned char byte) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02X", byte);
  out->append(buf);
}

// Length of the well-formed UTF-8 sequence at |s[i]| and its code point;
// 0 if the bytes there are not one (RFC 3629: no overlongs, no surrogates,
// nothing past U+10FFFF).
size_t DecodeOne(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

bool Invisible(uint32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) ||
         cp == 0xFEFF || cp == 0x061C;
}

}  // namespace

std::string Printable(std::string_view text, size_t max_bytes) {
  std::string out;
  const size_t n = text.size() < max_bytes ? text.size() : max_bytes;
  out.reserve(n + 16);
  size_t i = 0;
  while (i < n) {
    uint32_t cp = 0;
    const size_t len = DecodeOne(text, i, &cp);
    if (len == 0 || i + len > n) {
      // Not UTF-8 here, or a character cut by the length bound.
      if (len != 0) break;
      AppendByte(&out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      if (cp < 0x80) {
        AppendByte(&out, static_cast<unsigned char>(cp));
      } else {
        for (size_t k = 0; k < len; ++k) AppendByte(&out, static_cast<unsigned char>(text[i + k]));
      }
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (Invisible(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  if (i < text.size()) out += "...(+" + std::to_string(text.size() - i) + " bytes)";
  return out;
}

}  // namespace esfs::core
