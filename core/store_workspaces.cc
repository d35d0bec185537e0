// Workspace configuration (core/store_workspaces.h): the workspaces
// database, and the removal of a workspace from every database.
#include "core/store_workspaces.h"

#include "core/address.h"
#include "core/store_state.h"

namespace esfs::core {

using namespace store_codec;

Status Workspaces::Add(const std::string& address, const OrderedJson& config) {
  if (auto parsed = ParseWorkspaceAddress(address); !parsed.ok()) {
    return Status::InvalidArgument(parsed.status().message());
  }
  StoreState* state = &state_;
  return state->env->Write([&](WriteTxn& txn) -> Status {
    uint32_t id;
    if (auto existing = txn.Get(state->workspaces, address); existing.ok()) {
      id = ReadU32(*existing);
    } else {
      auto next = txn.Get(state->meta, "next_ws");
      id = next.ok() ? ReadU32(*next) : 1;
      if (Status s = txn.Put(state->meta, "next_ws", U32(id + 1)); !s.ok()) return s;
    }
    return txn.Put(state->workspaces, address, U32(id) + config.dump());
  });
}

Status Workspaces::SetConfig(const std::string& address, const OrderedJson& config) {
  {
    auto txn = state_.env->BeginRead();
    if (!txn.ok()) return txn.status();
    if (auto id = state_.WorkspaceId(*txn, address); !id.ok()) return id.status();
  }
  return Add(address, config);
}

Result<std::vector<WorkspaceInfo>> Workspaces::List(bool count_documents) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  std::vector<WorkspaceInfo> all;
  Cursor c(*txn, state_.workspaces);
  for (bool ok = c.First(); ok; ok = c.Next()) {
    WorkspaceInfo info;
    info.address = std::string(c.key());
    auto config = OrderedJson::parse(c.value().substr(4), nullptr, false);
    info.config = config.is_discarded() ? OrderedJson::object() : config;
    if (count_documents) {
      const std::string prefix = U32(ReadU32(c.value()));
      Cursor d(*txn, state_.docs);
      for (bool more = d.Seek(prefix); more && d.key().substr(0, 4) == prefix; more = d.Next()) ++info.documents;
    }
    all.push_back(std::move(info));
  }
  return all;
}

Result<WorkspaceInfo> Workspaces::Get(const std::string& address, bool count_documents) const {
  auto all = List(count_documents);
  if (!all.ok()) return all.status();
  for (auto& info : *all) {
    if (info.address == address) return info;
  }
  return Status::NotFound("workspace " + address + " is not in this store");
}

Status Workspaces::Remove(const std::string& address) {
  StoreState* state = &state_;
  Status s = state->env->Write([&](WriteTxn& txn) -> Status {
    auto id = state->WorkspaceId(txn, address);
    if (!id.ok()) return id.status();
    const std::string prefix = U32(*id);
    for (MDB_dbi dbi : {state->docs, state->winners, state->by_author, state->by_time, state->local_attrs,
                        state->versions, state->local_saves, state->by_seq}) {
      Cursor c(txn, dbi);
      std::vector<std::string> doomed;
      for (bool ok = c.Seek(prefix); ok && c.key().substr(0, 4) == prefix; ok = c.Next()) doomed.emplace_back(c.key());
      for (const auto& k : doomed) {
        if (Status d = txn.Del(dbi, k); !d.ok()) return d;
      }
    }
    for (MDB_dbi dbi : {state->expiry, state->changes}) {
      // Keys start with a time or a sequence number; the workspace id
      // is at a fixed place in the value (expiry) or after the kind byte.
      Cursor c(txn, dbi);
      std::vector<std::string> doomed;
      for (bool ok = c.First(); ok; ok = c.Next()) {
        std::string_view v = c.value();
        std::string_view ws = dbi == state->changes ? v.substr(1, 4) : c.key().substr(8, 4);
        if (ws == prefix) doomed.emplace_back(c.key());
      }
      for (const auto& k : doomed) {
        if (Status d = txn.Del(dbi, k); !d.ok()) return d;
      }
    }
    return txn.Del(state->workspaces, address);
  });
  if (s.ok()) state->ForgetWorkspace(address);
  return s;
}

}  // namespace esfs::core
