#include "fs/errno_map.h"

#include <cerrno>

namespace esfs::fs {

int ToErrno(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kNotFound: return ENOENT;
    case StatusCode::kInvalidArgument: return EINVAL;
    case StatusCode::kInvalidDocument: return EINVAL;
    case StatusCode::kPermissionDenied: return EACCES;
    case StatusCode::kAlreadyExists: return EEXIST;
    case StatusCode::kTooLarge: return EFBIG;
    case StatusCode::kIoError: return EIO;
    case StatusCode::kStorage:
      return status.message().find("disk is full") != std::string::npos ? ENOSPC : EIO;
    case StatusCode::kCorruption: return EIO;
    case StatusCode::kNetwork: return EIO;
    case StatusCode::kCancelled: return EINTR;
  }
  return EIO;
}

}  // namespace esfs::fs
