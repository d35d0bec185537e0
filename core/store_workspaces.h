// Workspace configuration: the part of the store (core/store.h) that knows
// which workspaces this data folder holds and each one's config (its pubs,
// set by the command line and read by sync).
//
// Owns the workspaces database and meta's "next_ws" counter; Remove also
// deletes every entry of the workspace from the other parts' databases, in
// the same transaction.
//
// Thread safety: every method may be called from any thread at once; each
// is one LMDB transaction. The workspace id cache it shares with the other
// parts is guarded by StoreState::ids_mu (a leaf lock).
//
// Status codes: InvalidArgument for an address that is not a workspace
// address; NotFound for a workspace that is not in the store (Remove,
// SetConfig, Get); Storage when LMDB fails.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/document.h"
#include "core/status.h"

namespace esfs::core {

struct StoreState;

struct WorkspaceInfo {
  std::string address;
  OrderedJson config;  // {"pubs": [...], ...}: owned by the command line and sync
  uint64_t documents = 0;
};

class Workspaces {
 public:
  // Made by Store::Open only; lives as long as its Store.
  explicit Workspaces(StoreState& state) : state_(state) {}
  Workspaces(const Workspaces&) = delete;
  Workspaces& operator=(const Workspaces&) = delete;

  // Adds a workspace, or updates its config if it is here (idempotent).
  Status Add(const std::string& address, const OrderedJson& config = OrderedJson::object());
  // Drops the workspace and all its documents, local attributes and
  // change-log entries.
  Status Remove(const std::string& address);
  // NotFound if the workspace is not here (it is not added).
  Status SetConfig(const std::string& address, const OrderedJson& config);
  // |count_documents| fills WorkspaceInfo::documents by walking every
  // stored document (O(documents): for the command line, never for the
  // mount or the syncer); otherwise it stays 0 and the call is O(workspaces).
  Result<std::vector<WorkspaceInfo>> List(bool count_documents = false) const;
  // One workspace (documents counted only if asked, as above); NotFound
  // if it is not here.
  Result<WorkspaceInfo> Get(const std::string& address, bool count_documents = false) const;

 private:
  StoreState& state_;
};

}  // namespace esfs::core
