// The one place where a Status becomes an errno (STYLE: errno only in fs/).
// Every FUSE reply with an error goes through ToErrno; the code decides,
// never the message (codes are set where the error is born: core/status.h).
#pragma once

#include "core/status.h"

namespace esfs::fs {

// 0 for OK; otherwise the errno a POSIX file system gives for the code.
// Thread-safe (a pure function).
int ToErrno(const Status& status);

}  // namespace esfs::fs
