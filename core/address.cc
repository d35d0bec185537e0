#include "core/address.h"

#include <vector>

#include "core/js_compat.h"

namespace esfs::core {
namespace {

bool AllPrintableAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 32 || c > 126) return false;
  }
  return true;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool IsAuthorChar(char c) { return IsLowerAlnum(c) || c == '@' || c == '.'; }
bool IsWorkspaceChar(char c) { return IsLowerAlnum(c) || c == '+' || c == '.'; }
bool IsBase32Char(char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }

// JavaScript's s.split('.')
std::vector<std::string> SplitDots(std::string_view s) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back().push_back(c);
    }
  }
  return parts;
}

Status Bad(std::string message) { return Status::InvalidDocument(std::move(message)); }

}  // namespace

Result<AuthorAddress> ParseAuthorAddress(std::string_view address) {
  // Spec §3, checks 1-11 in the reference's order.
  const std::string quoted = "author address " + JsQuote(address);
  if (!AllPrintableAscii(address)) return Bad(quoted + " must not have nonprintable or non-ASCII characters");
  if (address.empty() || address[0] != '@') return Bad(quoted + " must start with \"@\"");
  if (!AllOf(address, IsAuthorChar)) return Bad(quoted + " must not use disallowed characters");
  std::vector<std::string> parts = SplitDots(address.substr(1));
  if (parts.size() != 2) return Bad(quoted + " must be two parts separated by \".\"");
  AuthorAddress result{parts[0], parts[1]};
  const std::string short_q = "author shortname " + JsQuote(result.shortname);
  const std::string key_q = "author pubkey " + JsQuote(result.pubkey);
  if (result.shortname.size() != 4) return Bad(short_q + " must be 4 characters long");
  if (result.pubkey.size() != 53) return Bad(key_q + " must be 53 characters long");
  if (result.pubkey[0] != 'b') return Bad(key_q + " must start with 'b'");
  if (IsDigit(result.shortname[0])) return Bad(short_q + " must not start with a number");
  if (!AllOf(result.shortname, IsLowerAlnum)) return Bad(short_q + " must not use disallowed characters");
  if (!AllOf(result.pubkey, IsBase32Char)) return Bad(key_q + " must not use disallowed characters");
  return result;
}

Result<WorkspaceAddress> ParseWorkspaceAddress(std::string_view address) {
  // Spec §4, checks 1-10 in the reference's order.
  const std::string quoted = "workspace address " + JsQuote(address);
  if (!AllPrintableAscii(address)) return Bad(quoted + " must not have nonprintable or non-ASCII characters");
  if (address.empty() || address[0] != '+') return Bad(quoted + " must start with \"+\"");
  if (!AllOf(address, IsWorkspaceChar)) return Bad(quoted + " must not use disallowed characters");
  std::vector<std::string> parts = SplitDots(address.substr(1));
  if (parts.size() != 2) return Bad(quoted + " must be two parts separated by \".\"");
  WorkspaceAddress result{parts[0], parts[1]};
  const std::string name_q = "workspace name " + JsQuote(result.name);
  const std::string key_q = "workspace key " + JsQuote(result.suffix);
  if (result.name.empty() || result.name.size() > 15) return Bad(name_q + " must be between 1 and 15 characters long");
  if (result.suffix.empty() || result.suffix.size() > 53)
    return Bad(key_q + " must be between 1 and 53 characters long");
  if (IsDigit(result.name[0])) return Bad(name_q + " must not start with a number");
  if (IsDigit(result.suffix[0])) return Bad(key_q + " must not start with a number");
  if (!AllOf(result.name, IsLowerAlnum)) return Bad(name_q + " must not use disallowed characters");
  if (!AllOf(result.suffix, IsLowerAlnum)) return Bad(key_q + " must not use disallowed characters");
  return result;
}

}  // namespace esfs::core
