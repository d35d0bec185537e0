// A secret key in memory: move-only, never printed. Holds libsodium's
// 64-byte form (seed || public key) in sodium_malloc'ed memory (guard
// pages, kept out of swap with mlock where the system allows, wiped by
// sodium_free when the key dies). A moved-from key holds zero bytes.
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

  std::span<const uint8_t, core::kEd25519SecretKeyBytes> bytes() const {
    return std::span<const uint8_t, core::kEd25519SecretKeyBytes>(bytes_, core::kEd25519SecretKeyBytes);
  }
  std::span<uint8_t, core::kEd25519SecretKeyBytes> mutable_bytes() {
    return std::span<uint8_t, core::kEd25519SecretKeyBytes>(bytes_, core::kEd25519SecretKeyBytes);
  }
  // The first 32 bytes: the seed, which es.4 calls the secret.
  std::span<const uint8_t, core::kEd25519SeedBytes> seed() const {
    return std::span<const uint8_t, core::kEd25519SeedBytes>(bytes_, core::kEd25519SeedBytes);
  }

 private:
  uint8_t* bytes_;  // sodium_malloc'ed, kEd25519SecretKeyBytes long; never null
};

// Wipes a buffer that held secret material.
void WipeSecret(std::span<uint8_t> bytes);

}  // namespace esfs::keys
