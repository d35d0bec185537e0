// Status and Result<T>: how every layer below fs/ reports failure.
//
// A Status is a code plus a one-line message that names the object and the
// reason ("doc /a/b.txt: signature is invalid"). OK carries no message and
// costs one enum. errno exists only in fs/, which maps codes at its boundary.
// A missing thing is an ordinary answer (NotFound or std::optional), not a
// crash; broken invariants are bugs and abort instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace esfs {

enum class StatusCode {
  kOk = 0,
  kNotFound,
  kInvalidArgument,  // bad input from a user or caller (usage, malformed JSON)
  kInvalidDocument,  // a document that fails es.4 validation
  kPermissionDenied,
  kAlreadyExists,
  kIoError,     // file system trouble outside the store
  kStorage,     // the store (LMDB) failed
  kCorruption,  // data on disk is not what we wrote
  kNetwork,
  kCancelled,
  kTooLarge,
  // Codes the mount answers with a specific errno (fs/errno_map.cc). Set
  // where the error is born, never found by reading a message.
  kIsFolder,      // a file operation on a folder
  kNotFolder,     // a folder operation on a file
  kNotEmpty,      // removing or replacing a folder that has entries
  kCrossDevice,   // a rename between two workspaces
  kStale,         // an inode replaced or removed while the kernel held its name
  kNameTooLong,   // a name or the es.4 path it makes is too long
  kNoSpace,       // the disk (or the store's file system) is full
  kNotSupported,  // an operation this file system does not offer
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status InvalidDocument(std::string m) { return {StatusCode::kInvalidDocument, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Storage(std::string m) { return {StatusCode::kStorage, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
  static Status IsFolder(std::string m) { return {StatusCode::kIsFolder, std::move(m)}; }
  static Status NotFolder(std::string m) { return {StatusCode::kNotFolder, std::move(m)}; }
  static Status NotEmpty(std::string m) { return {StatusCode::kNotEmpty, std::move(m)}; }
  static Status CrossDevice(std::string m) { return {StatusCode::kCrossDevice, std::move(m)}; }
  static Status Stale(std::string m) { return {StatusCode::kStale, std::move(m)}; }
  static Status NameTooLong(std::string m) { return {StatusCode::kNameTooLong, std::move(m)}; }
  static Status NoSpace(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
  static Status NotSupported(std::string m) { return {StatusCode::kNotSupported, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The same status with "context: " in front of the message.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return {code_, context + ": " + message_};
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace esfs
