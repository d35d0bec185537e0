// The table of FUSE low-level callbacks; the session's userdata is the
// FileSystem they call.
#pragma once

#include "fs/filesystem.h"

struct fuse_lowlevel_ops;

namespace esfs::fs {

const fuse_lowlevel_ops& FuseOps();

}  // namespace esfs::fs
