// StoreState: the workspace id cache and the version helpers that every
// part of the store uses (core/store_state.h).
#include "core/store_state.h"

#include "core/ordering.h"

namespace esfs::core {

using namespace store_codec;

Result<uint32_t> StoreState::WorkspaceId(const ReadTxn& txn, const std::string& address) const {
  {
    std::scoped_lock lock(ids_mu);
    if (auto it = id_of.find(address); it != id_of.end()) return it->second;
  }
  auto value = txn.Get(workspaces, address);
  if (!value.ok()) {
    return Status::NotFound("workspace " + address + " is not in this store (add it: esfs workspace add " + address +
                            ")");
  }
  uint32_t id = ReadU32(*value);
  std::scoped_lock lock(ids_mu);
  id_of[address] = id;
  address_of[id] = address;
  return id;
}

std::string StoreState::WorkspaceAddress(const ReadTxn& txn, uint32_t id) const {
  {
    std::scoped_lock lock(ids_mu);
    if (auto it = address_of.find(id); it != address_of.end()) return it->second;
  }
  Cursor c(txn, workspaces);
  for (bool ok = c.First(); ok; ok = c.Next()) {
    if (c.value().size() >= 4 && ReadU32(c.value()) == id) {
      std::scoped_lock lock(ids_mu);
      address_of[id] = std::string(c.key());
      id_of[std::string(c.key())] = id;
      return std::string(c.key());
    }
  }
  return "";
}

void StoreState::ForgetWorkspace(const std::string& address) {
  std::scoped_lock lock(ids_mu);
  if (auto it = id_of.find(address); it != id_of.end()) {
    address_of.erase(it->second);
    id_of.erase(it);
  }
}

std::vector<StoredDoc> StoreState::VersionsAt(const ReadTxn& txn, uint32_t ws, const std::string& address,
                                              const std::string& path, bool with_content) const {
  std::vector<StoredDoc> versions;
  std::string prefix = WinnerKey(ws, path);
  prefix.push_back('\0');
  Cursor c(txn, docs);
  for (bool ok = c.Seek(prefix); ok && c.key().substr(0, prefix.size()) == prefix; ok = c.Next()) {
    if (!with_content) {
      DocView view;
      uint64_t seq = 0;
      if (!DecodeDocView(c.value(), &view, &seq) || view.path != path) continue;
      view.content = {};
      versions.push_back(StoredDoc{ToDocument(view, address), seq});
      continue;
    }
    StoredDoc stored;
    if (!DecodeDoc(c.value(), address, &stored)) continue;  // skipped: checked by the integrity test
    if (stored.doc.path == path) versions.push_back(std::move(stored));
  }
  return versions;
}

const StoredDoc* StoreState::PickWinner(const std::vector<StoredDoc>& versions, int64_t now) {
  const StoredDoc* winner = nullptr;
  for (const auto& v : versions) {
    if (Expired(v.doc, now)) continue;
    if (winner == nullptr || WinsOver(v.doc, winner->doc)) winner = &v;
  }
  return winner;
}

}  // namespace esfs::core
