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
    case StatusCode::kStorage: return EIO;
    case StatusCode::kCorruption: return EIO;
    case StatusCode::kNetwork: return EIO;
    case StatusCode::kCancelled: return EINTR;
    case StatusCode::kIsFolder: return EISDIR;
    case StatusCode::kNotFolder: return ENOTDIR;
    case StatusCode::kNotEmpty: return ENOTEMPTY;
    case StatusCode::kCrossDevice: return EXDEV;
    case StatusCode::kStale: return ESTALE;
    case StatusCode::kNameTooLong: return ENAMETOOLONG;
    case StatusCode::kNoSpace: return ENOSPC;
    case StatusCode::kNotSupported: return ENOTSUP;
  }
  return EIO;  // a code from a newer core: never silently success
}

}  // namespace esfs::fs
