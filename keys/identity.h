// An author identity: the address "@shrt.b<pubkey>" and its secret key.
//
// Files use the reference keypair JSON {"address": ..., "secret": ...}
// (secret = base32 of the 32-byte seed), written with mode 0600. Loading a
// file that others can read warns; a malformed file is an error naming the
// file and what is wrong. The secret never appears in a message or a log.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/document.h"
#include "core/signer.h"
#include "core/status.h"
#include "keys/secret_key.h"

namespace esfs::keys {

class Identity final : public core::Signer {
 public:
  // A new random identity. InvalidArgument if the shortname is not 4
  // characters of [a-z0-9] starting with a letter.
  static Result<Identity> Generate(std::string_view shortname);

  // The identity whose seed is |seed| (deterministic).
  static Result<Identity> FromSeed(std::string_view shortname, std::span<const uint8_t, core::kEd25519SeedBytes> seed);

  // From the parsed keypair JSON; runs the reference's keypair check
  // (checkAuthorKeypairIsValid) and returns its messages. Those messages
  // may quote the input (a bad base32 character): never print them for
  // key-file input (LoadIdentity does not).
  static Result<Identity> FromKeypairJson(const core::OrderedJson& json);

  const std::string& address() const override { return address_; }
  // base32 of the seed: only for writing the keypair file.
  std::string EncodedSecret() const;
  const SecretKey& secret_key() const { return secret_; }

  // The keypair JSON, pretty-printed with two spaces like the reference CLI.
  std::string ToKeypairJson() const;

  // Fills contentHash and signature of |doc| (author set to this identity).
  void SignHashed(core::Document& doc) const override;

 private:
  Identity(std::string address, SecretKey secret) : address_(std::move(address)), secret_(std::move(secret)) {}
  std::string address_;
  SecretKey secret_;
};

// Receives warnings (for example "key file is readable by others").
using WarningSink = std::function<void(const std::string&)>;

// Loads a keypair file. IoError if it cannot be read, InvalidArgument with
// "<file>: <reason>" if it is not a valid keypair; the reason names the
// field that is wrong and never holds any of the file's text. A symlink, a
// FIFO, a folder or a device is refused without blocking; the file's text
// is read into sodium_malloc'ed memory. Warns through |warn| when the
// file's mode lets group or others read it.
Result<Identity> LoadIdentity(const std::string& file, const WarningSink& warn);

// Writes the keypair file with mode 0600, atomically (temp file + rename).
// AlreadyExists unless |overwrite|; creates missing parent folders (0700).
Status SaveIdentity(const Identity& identity, const std::string& file, bool overwrite);

}  // namespace esfs::keys
