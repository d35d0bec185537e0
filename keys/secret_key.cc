#include "keys/secret_key.h"

#include <sodium.h>

namespace esfs::keys {

SecretKey::SecretKey() = default;

SecretKey::~SecretKey() { WipeSecret(bytes_); }

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_) { WipeSecret(other.bytes_); }

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    WipeSecret(other.bytes_);
  }
  return *this;
}

void WipeSecret(std::span<uint8_t> bytes) { sodium_memzero(bytes.data(), bytes.size()); }

}  // namespace esfs::keys
