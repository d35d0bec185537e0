// Text from outside (document paths, pub replies, file names, key-file
// input) made safe for a terminal or a log line: DESIGN decision 13,
// "control characters never reach a terminal or a log raw".
//
// Every place that prints text it did not write itself goes through
// Printable(). The result is one line of valid UTF-8 with no control
// character, no bidirectional override and a bounded length:
//   - C0 controls, DEL and C1 controls (U+0080..U+009F) become "\xNN";
//   - a backslash becomes "\\" (so the escaping cannot be faked);
//   - bytes that are not well-formed UTF-8 become "\xNN", one per byte;
//   - bidirectional controls and other invisible format characters
//     (U+200B..U+200F, U+202A..U+202E, U+2060..U+2069, U+FEFF) become
//     "\u{XXXX}";
//   - past |max_bytes| of input the rest is cut and "...(+N bytes)" added.
// Printable text (ASCII letters, '%', '~', '@', other scripts) is kept.
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace esfs::core {

inline constexpr size_t kPrintableDefaultMax = 256;

std::string Printable(std::string_view text, size_t max_bytes = kPrintableDefaultMax);

}  // namespace esfs::core
