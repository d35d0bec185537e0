// A secret key in memory: move-only, wiped (sodium_memzero) when it dies,
// never printed. Holds libsodium's 64-byte form (seed || public key).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/crypto.h"

namespace esfs::keys {

class SecretKey {
 public:
  SecretKey();
  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  std::span<const uint8_t, core::kEd25519SecretKeyBytes> bytes() const { return bytes_; }
  std::span<uint8_t, core::kEd25519SecretKeyBytes> mutable_bytes() { return bytes_; }
  // The first 32 bytes: the seed, which es.4 calls the secret.
  std::span<const uint8_t, core::kEd25519SeedBytes> seed() const {
    return std::span<const uint8_t, core::kEd25519SeedBytes>(bytes_.data(), core::kEd25519SeedBytes);
  }

 private:
  std::array<uint8_t, core::kEd25519SecretKeyBytes> bytes_{};
};

// Wipes a buffer that held secret material.
void WipeSecret(std::span<uint8_t> bytes);

}  // namespace esfs::keys
