// The table of FUSE low-level callbacks; the session's userdata is a
// FuseContext: the FileSystem they call and the gate that refuses changes
// by anyone but the mount's owner.
#pragma once

#include "fs/filesystem.h"
#include "fs/owner_gate.h"
#include "fs/replayer.h"

struct fuse_lowlevel_ops;

namespace esfs::fs {

// The session's userdata; all outlive the session's workers. |replayer|
// (may be null): requests of its thread and handles are answered by the
// live view's rules (fs/replayer.h), never stored.
struct FuseContext {
  FileSystem& fs;
  OwnerGate& gate;
  Replayer* replayer = nullptr;
};

const fuse_lowlevel_ops& FuseOps();

}  // namespace esfs::fs
