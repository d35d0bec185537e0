#include "core/crypto.h"

#include <sodium.h>

#include <cstdlib>

namespace esfs::core {
namespace {

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace

bool InitCrypto() {
  static const bool kSodiumReady = sodium_init() >= 0;
  return kSodiumReady;
}

Sha256Digest Sha256(std::string_view bytes) {
  InitCrypto();
  Sha256Digest digest;
  crypto_hash_sha256(digest.data(), Bytes(bytes), bytes.size());
  return digest;
}

Ed25519Signature Ed25519Sign(std::string_view message, std::span<const uint8_t, kEd25519SecretKeyBytes> secret_key) {
  InitCrypto();
  Ed25519Signature signature;
  // Cannot fail for a 64-byte key (libsodium documents a 0 return).
  crypto_sign_detached(signature.data(), nullptr, Bytes(message), message.size(), secret_key.data());
  return signature;
}

bool Ed25519Verify(const Ed25519Signature& signature, std::string_view message, const Ed25519PublicKey& public_key) {
  InitCrypto();
  return crypto_sign_verify_detached(signature.data(), Bytes(message), message.size(), public_key.data()) == 0;
}

}  // namespace esfs::core
