// The one place where a Status becomes an errno (STYLE: errno only in fs/).
#pragma once

#include "core/status.h"

namespace esfs::fs {

int ToErrno(const Status& status);

}  // namespace esfs::fs
