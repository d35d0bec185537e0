// The table of FUSE low-level callbacks; the session's userdata is a
// FuseContext: the FileSystem they call and the gate that refuses changes
// by anyone but the mount's owner.
#pragma once

#include "fs/filesystem.h"
#include "fs/owner_gate.h"

struct fuse_lowlevel_ops;

namespace esfs::fs {

// The session's userdata; both outlive the session.
struct FuseContext {
  FileSystem& fs;
  OwnerGate& gate;
};

const fuse_lowlevel_ops& FuseOps();

}  // namespace esfs::fs
