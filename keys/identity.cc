#include "keys/identity.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/address.h"
#include "core/base32.h"
#include "core/crypto.h"
#include "core/printable.h"
#include "core/signing.h"

namespace esfs::keys {
namespace {

constexpr size_t kMaxKeyFileBytes = size_t{64} * 1024;
constexpr std::string_view kTestMessage = "a test message to sign";

std::string ErrnoText() { return std::strerror(errno); }

// A string that holds secret material and is wiped when it goes away.
struct WipedString {
  std::string text;
  ~WipedString() {
    if (!text.empty()) sodium_memzero(text.data(), text.size());
  }
};

void WipeJsonSecret(core::OrderedJson& json) {
  auto it = json.find("secret");
  if (it != json.end() && it->is_string()) {
    auto& s = it->get_ref<std::string&>();
    sodium_memzero(s.data(), s.size());
  }
}

// The file name is the user's own text, but printed through Printable all
// the same; nothing read from the file ever goes into a message.
std::string Shown(const std::string& file) { return core::Printable(file); }

// Key-file text in sodium_malloc'ed memory (guard pages, mlock where
// allowed), wiped and freed by sodium_free when it goes away.
class SecretText {
 public:
  // sodium_malloc aborts before sodium_init(): initialise first.
  explicit SecretText(size_t capacity) : bytes_((core::InitCrypto(), Allocate(capacity))) {}
  ~SecretText() { sodium_free(bytes_); }
  SecretText(const SecretText&) = delete;
  SecretText& operator=(const SecretText&) = delete;
  bool ok() const { return bytes_ != nullptr; }
  char* data() { return bytes_; }
  std::string_view view() const { return {bytes_, size_}; }
  void set_size(size_t size) { size_ = size; }

 private:
  static char* Allocate(size_t capacity) { return static_cast<char*>(sodium_malloc(capacity ? capacity : 1)); }
  char* bytes_;
  size_t size_ = 0;
};

// Opens |file| without following a symlink and without blocking (a FIFO
// with no writer must not hang esfs), requires a regular file of at most
// kMaxKeyFileBytes and reads it into |out| (secure memory).
Status ReadKeyFile(const std::string& file, const WarningSink& warn, std::unique_ptr<SecretText>& out) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0 && errno == ELOOP) {
    return Status::InvalidArgument("key file " + Shown(file) + ": is a symbolic link (give the file itself)");
  }
  if (fd < 0) return Status::IoError("key file " + Shown(file) + ": " + ErrnoText());
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("key file " + Shown(file) + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0 && warn) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    warn("key file " + Shown(file) + " can be read by other users (mode " + mode + "); run: chmod 600 " + Shown(file));
  }
  if (static_cast<size_t>(st.st_size) > kMaxKeyFileBytes) {
    ::close(fd);
    return Status::InvalidArgument("key file " + Shown(file) + ": too large to be a keypair file");
  }
  const size_t capacity = static_cast<size_t>(st.st_size);
  out = std::make_unique<SecretText>(capacity);
  if (!out->ok()) {
    ::close(fd);
    return Status::IoError("key file " + Shown(file) + ": no secure memory for it");
  }
  size_t done = 0;
  while (done < capacity) {
    ssize_t n = ::read(fd, out->data() + done, capacity - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out->set_size(done);
  return Status::Ok();
}

// Why a parsed keypair file is refused, naming the field and never its
// value (the value may be the secret, or hold a piece of it).
std::string KeypairProblem(const core::OrderedJson& json) {
  if (!json.is_object()) return "not a keypair file (expected a JSON object)";
  auto address = json.find("address");
  auto secret = json.find("secret");
  if (address == json.end() || !address->is_string()) return "the \"address\" field is missing or not a string";
  if (secret == json.end() || !secret->is_string()) return "the \"secret\" field is missing or not a string";
  if (!core::ParseAuthorAddress(address->get_ref<const std::string&>()).ok()) {
    return "the \"address\" field is not a valid author address";
  }
  auto seed = core::Base32Decode(secret->get_ref<const std::string&>());
  if (!seed.ok()) {
    return "the \"secret\" field is not lowercase base32 (a wrong case or a stray character)";
  }
  const size_t size = seed->size();
  WipeSecret(*seed);
  if (size != core::kEd25519SeedBytes) return "the \"secret\" field does not decode to 32 bytes";
  return "the \"address\" field does not match the \"secret\" field";
}

Status WriteAll(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError(ErrnoText());
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<Identity> Identity::FromSeed(std::string_view shortname,
                                    std::span<const uint8_t, core::kEd25519SeedBytes> seed) {
  core::InitCrypto();
  core::Ed25519PublicKey public_key;
  SecretKey secret;
  crypto_sign_seed_keypair(public_key.data(), secret.mutable_bytes().data(), seed.data());
  std::string address = "@" + std::string(shortname) + "." + core::Base32Encode(public_key);
  if (auto parsed = core::ParseAuthorAddress(address); !parsed.ok()) {
    return Status::InvalidArgument(parsed.status().message());
  }
  return Identity(std::move(address), std::move(secret));
}

Result<Identity> Identity::Generate(std::string_view shortname) {
  core::InitCrypto();
  std::array<uint8_t, core::kEd25519SeedBytes> seed;
  randombytes_buf(seed.data(), seed.size());
  auto identity = FromSeed(shortname, seed);
  WipeSecret(seed);
  return identity;
}

Result<Identity> Identity::FromKeypairJson(const core::OrderedJson& json) {
  // The reference's checkAuthorKeypairIsValid, with 6.8.5's strict decoding.
  auto address = json.find("address");
  auto secret = json.find("secret");
  if (!json.is_object() || address == json.end() || secret == json.end() || !address->is_string() ||
      !secret->is_string()) {
    return Status::InvalidArgument("address and secret must be strings");
  }
  const auto& address_text = address->get_ref<const std::string&>();
  auto parsed = core::ParseAuthorAddress(address_text);
  if (!parsed.ok()) return Status::InvalidArgument(parsed.status().message());
  auto seed = core::Base32Decode(secret->get_ref<const std::string&>());
  if (!seed.ok()) {
    return Status::InvalidArgument("crash while decoding author keypair: " + seed.status().message());
  }
  if (seed->size() != core::kEd25519SeedBytes) {
    WipeSecret(*seed);
    return Status::InvalidArgument("crash while signing: the secret must decode to 32 bytes");
  }
  auto identity = FromSeed(parsed->shortname, std::span<const uint8_t, core::kEd25519SeedBytes>(seed->data(), 32));
  WipeSecret(*seed);
  if (!identity.ok()) return identity;
  core::Ed25519PublicKey claimed;
  const bool decodable = core::DecodeAuthorKey(address_text, &claimed);
  auto signature = core::Ed25519Sign(kTestMessage, identity->secret_key().bytes());
  if (!decodable || !core::Ed25519Verify(signature, kTestMessage, claimed) || identity->address() != address_text) {
    return Status::InvalidArgument("pubkey does not match secret");
  }
  return identity;
}

std::string Identity::EncodedSecret() const { return core::Base32Encode(secret_.seed()); }

std::string Identity::ToKeypairJson() const {
  core::OrderedJson json = {{"address", address_}, {"secret", EncodedSecret()}};
  std::string text = json.dump(2) + "\n";
  WipeJsonSecret(json);
  return text;
}

void Identity::SignHashed(core::Document& doc) const {
  doc.author = address_;
  core::SignDocument(doc, secret_.bytes());
}

Result<Identity> LoadIdentity(const std::string& file, const WarningSink& warn) {
  std::unique_ptr<SecretText> text;
  if (Status read = ReadKeyFile(file, warn, text); !read.ok()) return read;
  // Neither the parser's message (it quotes the text near the error) nor
  // the keypair check's (it quotes a bad character) may be shown: both
  // are key-file input. What is not wiped: nlohmann's lexer keeps each
  // string token in a growing std::string (freed, not wiped), and a parse
  // error's exception text; the parsed "secret" value is wiped below.
  auto json = core::ParseJson(text->view());
  if (!json.ok()) {
    return Status::InvalidArgument("key file " + Shown(file) + ": not a keypair file (not valid JSON)");
  }
  auto identity = Identity::FromKeypairJson(*json);
  if (!identity.ok()) {
    std::string problem = KeypairProblem(*json);
    WipeJsonSecret(*json);
    return Status::InvalidArgument("key file " + Shown(file) + ": " + problem);
  }
  WipeJsonSecret(*json);
  return identity;
}

Status SaveIdentity(const Identity& identity, const std::string& file, bool overwrite) {
  namespace fs = std::filesystem;
  const fs::path target(file);
  std::error_code ec;
  if (target.has_parent_path() && !fs::exists(target.parent_path(), ec)) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Status::IoError("key file " + file + ": cannot create its folder: " + ec.message());
    ::chmod(target.parent_path().c_str(), 0700);
  }
  if (!overwrite && fs::exists(target, ec)) {
    return Status::AlreadyExists("key file " + file + " already exists (not overwriting an identity)");
  }
  std::string temp = file + ".tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());  // mode 0600
  if (fd < 0) return Status::IoError("key file " + file + ": " + ErrnoText());
  WipedString contents{identity.ToKeypairJson()};
  Status written = WriteAll(fd, contents.text);
  if (written.ok() && ::fsync(fd) != 0) written = Status::IoError(ErrnoText());
  ::close(fd);
  if (written.ok()) {
    // link() refuses to replace an existing file, so two keygens racing
    // cannot overwrite each other's identity.
    int rc = overwrite ? ::rename(temp.c_str(), file.c_str()) : ::link(temp.c_str(), file.c_str());
    if (rc != 0) {
      written = errno == EEXIST ? Status::AlreadyExists("key file " + file + " already exists")
                                : Status::IoError("key file " + file + ": " + ErrnoText());
    }
  }
  ::unlink(temp.c_str());
  return written;
}

}  // namespace esfs::keys
