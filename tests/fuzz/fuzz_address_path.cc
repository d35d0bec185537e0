// libFuzzer target: author/workspace addresses, paths, the '~' write rule and
// base32 (docs/fuzzing.md).
//
// Input: one selector byte, then a string. selector % 8 picks the check:
//   0 ParseAuthorAddress    1 ParseWorkspaceAddress   2 CheckPath (both flags)
//   3 AuthorCanWrite: "author\npath" (no '\n': the string is the author)
//   4 Base32Decode          5 Base32Encode of the raw bytes, then decode
//   6, 7 all of 0-4 on the same string
// Each check asserts invariants on the result and aborts when one fails.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/base32.h"
#include "core/path.h"
#include "core/status.h"

namespace {

using esfs::StatusCode;

[[noreturn]] void Fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "fuzz_address_path: %s\ninput (%zu bytes): ", what, input.size());
  for (unsigned char c : input) std::fprintf(stderr, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::abort();
}

void Require(bool condition, const char* what, std::string_view input) {
  if (!condition) Fail(what, input);
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBase32Char(char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

void CheckAuthor(std::string_view s) {
  auto author = esfs::core::ParseAuthorAddress(s);
  if (!author.ok()) {
    const auto& st = author.status();
    Require(st.code() == StatusCode::kInvalidDocument, "author: wrong error code", s);
    Require(StartsWith(st.message(), "author address ") || StartsWith(st.message(), "author shortname ") ||
                StartsWith(st.message(), "author pubkey "),
            "author: message does not name the address", s);
    return;
  }
  const auto& a = *author;
  Require(a.shortname.size() == 4, "author: shortname is not 4 characters", s);
  Require(a.pubkey.size() == 53, "author: pubkey is not 53 characters", s);
  Require(a.pubkey[0] == 'b', "author: pubkey does not start with b", s);
  Require(!IsDigit(a.shortname[0]), "author: shortname starts with a digit", s);
  for (char c : a.shortname) Require(IsLowerAlnum(c), "author: bad shortname character", s);
  for (char c : a.pubkey) Require(IsBase32Char(c), "author: bad pubkey character", s);
  Require(s == "@" + a.shortname + "." + a.pubkey, "author: parts do not rebuild the address", s);
  // The key is only checked for its characters; if it does decode, it is an
  // ed25519 public key: 52 base32 characters hold 32 bytes.
  auto key = esfs::core::Base32Decode(a.pubkey);
  if (key.ok()) Require(key->size() == 32, "author: pubkey decodes to other than 32 bytes", s);
  // Anyone can write a path without '~', and an author can write its own "~" path.
  Require(esfs::core::AuthorCanWrite(s, "/shared/x.txt"), "author: cannot write a shared path", s);
  Require(esfs::core::AuthorCanWrite(s, "/about/~" + std::string(s) + "/name"), "author: cannot write its own ~ path",
          s);
}

void CheckWorkspace(std::string_view s) {
  auto ws = esfs::core::ParseWorkspaceAddress(s);
  if (!ws.ok()) {
    const auto& st = ws.status();
    Require(st.code() == StatusCode::kInvalidDocument, "workspace: wrong error code", s);
    Require(StartsWith(st.message(), "workspace address ") || StartsWith(st.message(), "workspace name ") ||
                StartsWith(st.message(), "workspace key "),
            "workspace: message does not name the address", s);
    return;
  }
  const auto& w = *ws;
  Require(!w.name.empty() && w.name.size() <= 15, "workspace: name length out of range", s);
  Require(!w.suffix.empty() && w.suffix.size() <= 53, "workspace: suffix length out of range", s);
  Require(!IsDigit(w.name[0]) && !IsDigit(w.suffix[0]), "workspace: part starts with a digit", s);
  for (char c : w.name) Require(IsLowerAlnum(c), "workspace: bad name character", s);
  for (char c : w.suffix) Require(IsLowerAlnum(c), "workspace: bad suffix character", s);
  Require(s == "+" + w.name + "." + w.suffix, "workspace: parts do not rebuild the address", s);
}

void CheckPathBothWays(std::string_view s) {
  auto plain = esfs::core::CheckPath(s, /*is_ephemeral=*/false);
  auto ephemeral = esfs::core::CheckPath(s, /*is_ephemeral=*/true);
  for (const auto* st : {&plain, &ephemeral}) {
    if (!st->ok()) {
      Require(st->code() == StatusCode::kInvalidDocument, "path: wrong error code", s);
      Require(!st->message().empty(), "path: error without a message", s);
    }
  }
  Require(!(plain.ok() && ephemeral.ok()), "path: valid both with and without deleteAfter", s);
  if (!plain.ok() && !ephemeral.ok()) {
    // The checks before the '!' rule ignore the flag, and the '!' rule fails
    // for at most one flag: when both fail, they fail at the same early check.
    Require(plain.message() == ephemeral.message(), "path: the flag changed an early check", s);
    Require(!StartsWith(plain.message(), "when deleteAfter"), "path: '!' rule failed both ways", s);
    return;
  }
  const bool has_bang = s.find('!') != std::string_view::npos;
  Require(plain.ok() ? !has_bang : has_bang, "path: '!' rule broken", s);
  const auto& other = plain.ok() ? ephemeral : plain;
  Require(StartsWith(other.message(), "when deleteAfter"), "path: other flag fails for another reason", s);
  Require(s.size() >= 2 && s.size() <= esfs::core::kMaxPathLength, "path: length out of range", s);
  Require(s.front() == '/' && s.back() != '/', "path: bad first or last character", s);
  Require(!StartsWith(s, "/@"), "path: starts with /@", s);
  Require(s.find("//") == std::string_view::npos, "path: contains //", s);
  for (char c : s) Require(esfs::core::IsPathChar(c), "path: disallowed character", s);
  Require(s.find('*') == std::string_view::npos, "path: contains '*'", s);
}

void CheckWrite(std::string_view author, std::string_view path, std::string_view input) {
  const bool can = esfs::core::AuthorCanWrite(author, path);
  auto st = esfs::core::CheckAuthorCanWrite(author, path);
  Require(st.ok() == can, "write: CheckAuthorCanWrite disagrees with AuthorCanWrite", input);
  if (!st.ok()) Require(st.code() == StatusCode::kPermissionDenied, "write: wrong error code", input);
  if (path.find('~') == std::string_view::npos) Require(can, "write: path without ~ refused", input);
  const std::string own = std::string(path) + "/~" + std::string(author);
  Require(esfs::core::AuthorCanWrite(author, own), "write: own ~ marker refused", input);
  // Appending to a writable path keeps its marker (or adds the first '~').
  if (can && path.find('~') != std::string_view::npos) {
    Require(esfs::core::AuthorCanWrite(author, std::string(path) + "/~z"), "write: suffix removed marker", input);
  }
}

void CheckBase32Decode(std::string_view s) {
  auto bytes = esfs::core::Base32Decode(s);
  if (!bytes.ok()) {
    Require(bytes.status().code() == StatusCode::kInvalidArgument, "base32: wrong error code", s);
    return;
  }
  // Strict decoding: only the canonical encoding decodes, so it round-trips
  // to the same text, and the length is fixed by the text's length.
  Require(bytes->size() == (s.size() - 1) * 5 / 8, "base32: decoded length", s);
  Require(esfs::core::Base32Encode(*bytes) == s, "base32: decode then encode is not the identity", s);
}

void CheckBase32Encode(std::string_view s) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  std::string text = esfs::core::Base32Encode(bytes);
  Require(text.size() == 1 + (bytes.size() * 8 + 4) / 5, "base32: encoded length", s);
  Require(text[0] == 'b', "base32: no multibase prefix", s);
  for (size_t i = 1; i < text.size(); ++i) Require(IsBase32Char(text[i]), "base32: bad character", s);
  auto back = esfs::core::Base32Decode(text);
  Require(back.ok(), "base32: own encoding does not decode", s);
  Require(std::equal(back->begin(), back->end(), bytes.begin(), bytes.end()),
          "base32: encode then decode is not the identity", s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::string_view s(reinterpret_cast<const char*>(data + 1), size - 1);
  auto write_check = [&] {
    size_t nl = s.find('\n');
    if (nl == std::string_view::npos) {
      CheckWrite(s, "/shared/~" + std::string(s) + "/x", s);
      CheckWrite(s, "/shared/~@other.bxyz/x", s);
    } else {
      CheckWrite(s.substr(0, nl), s.substr(nl + 1), s);
    }
  };
  switch (selector % 8) {
    case 0: CheckAuthor(s); break;
    case 1: CheckWorkspace(s); break;
    case 2: CheckPathBothWays(s); break;
    case 3: write_check(); break;
    case 4: CheckBase32Decode(s); break;
    case 5: CheckBase32Encode(s); break;
    default:
      CheckAuthor(s);
      CheckWorkspace(s);
      CheckPathBothWays(s);
      write_check();
      CheckBase32Decode(s);
      break;
  }
  return 0;
}
