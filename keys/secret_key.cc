#include "keys/secret_key.h"

#include <sodium.h>

#include <new>
#include <utility>

namespace esfs::keys {
namespace {

// Zeroed secure memory for one key; sodium_init() first, as libsodium asks.
uint8_t* AllocateKeyBytes() {
  core::InitCrypto();
  auto* bytes = static_cast<uint8_t*>(sodium_malloc(core::kEd25519SecretKeyBytes));
  if (bytes == nullptr) throw std::bad_alloc();
  sodium_memzero(bytes, core::kEd25519SecretKeyBytes);
  return bytes;
}

}  // namespace

SecretKey::SecretKey() : bytes_(AllocateKeyBytes()) {}

SecretKey::~SecretKey() { sodium_free(bytes_); }

// Swapping keeps both objects valid: the moved-from key gets the other's
// bytes, wiped.
SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(AllocateKeyBytes()) { std::swap(bytes_, other.bytes_); }

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    std::swap(bytes_, other.bytes_);
    WipeSecret(other.mutable_bytes());
  }
  return *this;
}

void WipeSecret(std::span<uint8_t> bytes) { sodium_memzero(bytes.data(), bytes.size()); }

}  // namespace esfs::keys
