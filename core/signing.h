// Hashing and signing, byte for byte as the reference does it (spec §7).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/document.h"

namespace esfs::core {

// "b" + base32(sha256(UTF-8 bytes of content)).
std::string ContentHash(std::string_view content);

// The exact text that is hashed: "author\t...\n" ... "workspace\t...\n", the
// deleteAfter line only for ephemeral documents.
std::string SigningText(const Document& doc);

// "b" + base32(sha256(SigningText(doc))): the 53-character document hash.
std::string DocumentHash(const Document& doc);

// Fills in doc.signature: Ed25519 over the ASCII bytes of DocumentHash(doc).
// The caller sets every other field (ContentHash included) first.
void SignDocument(Document& doc, std::span<const uint8_t, kEd25519SecretKeyBytes> secret_key);

// True if doc.signature is a canonical encoding of a valid signature by the
// key in doc.author. Strict: non-canonical base32 and extra bytes fail.
bool SignatureIsValid(const Document& doc);

// The 32-byte key of "@shrt.b<pubkey>" (strictly decoded), if it has one.
bool DecodeAuthorKey(std::string_view author, Ed25519PublicKey* key);

}  // namespace esfs::core
