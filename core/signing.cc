#include "core/signing.h"

#include <algorithm>

#include "core/base32.h"
#include "core/js_compat.h"

namespace esfs::core {

std::string ContentHash(std::string_view content) { return Base32Encode(Sha256(content)); }

std::string SigningText(const Document& doc) {
  // Fields in lexicographic order of their names; content and signature are
  // not part of it. Numbers are printed as JavaScript prints them.
  std::string text;
  text.reserve(256 + doc.path.size());
  text.append("author\t").append(doc.author).append("\n");
  text.append("contentHash\t").append(doc.contentHash).append("\n");
  if (doc.deleteAfter) {
    text.append("deleteAfter\t").append(JsNumber(static_cast<double>(*doc.deleteAfter))).append("\n");
  }
  text.append("format\t").append(doc.format).append("\n");
  text.append("path\t").append(doc.path).append("\n");
  text.append("timestamp\t").append(JsNumber(static_cast<double>(doc.timestamp))).append("\n");
  text.append("workspace\t").append(doc.workspace).append("\n");
  return text;
}

std::string DocumentHash(const Document& doc) { return Base32Encode(Sha256(SigningText(doc))); }

void SignDocument(Document& doc, std::span<const uint8_t, kEd25519SecretKeyBytes> secret_key) {
  doc.signature = Base32Encode(Ed25519Sign(DocumentHash(doc), secret_key));
}

bool DecodeAuthorKey(std::string_view author, Ed25519PublicKey* key) {
  size_t dot = author.find('.');
  if (dot == std::string_view::npos) return false;
  auto decoded = Base32Decode(author.substr(dot + 1));
  if (!decoded.ok() || decoded->size() != key->size()) return false;
  std::copy(decoded->begin(), decoded->end(), key->begin());
  return true;
}

bool SignatureIsValid(const Document& doc) {
  Ed25519PublicKey key;
  if (!DecodeAuthorKey(doc.author, &key)) return false;
  auto decoded = Base32Decode(doc.signature);
  Ed25519Signature signature;
  if (!decoded.ok() || decoded->size() != signature.size()) return false;
  std::copy(decoded->begin(), decoded->end(), signature.begin());
  return Ed25519Verify(signature, DocumentHash(doc), key);
}

}  // namespace esfs::core
