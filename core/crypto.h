// The two primitives es.4 needs, from libsodium: SHA-256 and Ed25519.
// Thread-safe; libsodium is initialised on first use.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace esfs::core {

using Sha256Digest = std::array<uint8_t, 32>;
using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;
// libsodium's 64-byte secret key: the 32-byte seed followed by the public key.
inline constexpr size_t kEd25519SecretKeyBytes = 64;
inline constexpr size_t kEd25519SeedBytes = 32;

// Initialises libsodium once; false if the library cannot work here.
bool InitCrypto();

Sha256Digest Sha256(std::string_view bytes);

Ed25519Signature Ed25519Sign(std::string_view message, std::span<const uint8_t, kEd25519SecretKeyBytes> secret_key);

bool Ed25519Verify(const Ed25519Signature& signature, std::string_view message, const Ed25519PublicKey& public_key);

}  // namespace esfs::core
