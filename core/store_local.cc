// The store's local, never-synced data: attributes users set on files
// (mode, mtime) and small values (sync progress). Attributes may be
// written later, in batches (Store::Durability::kSoon).
#include <chrono>

#include "core/store.h"
#include "core/store_impl.h"

namespace esfs::core {

using namespace store_codec;

namespace {

std::string EncodeLocalAttrs(const LocalAttrs &attrs) {
  std::string value(1, static_cast<char>((attrs.mode ? 1 : 0) | (attrs.mtime_ns ? 2 : 0)));
  value += U32(attrs.mode.value_or(0)) + U64(static_cast<uint64_t>(attrs.mtime_ns.value_or(0))) + attrs.signature;
  return value;
}

// What of |attrs| still holds while the document with |current_signature|
// is the winner: all of it for the document they were set on; for a later
// version only the mode (a chmod protects the file, not one version of it:
// a new save or a peer's update must not make a 0600 file readable).
std::optional<LocalAttrs> KeptFor(const LocalAttrs &attrs, const std::string &current_signature) {
  if (attrs.signature == current_signature) return attrs;
  if (!attrs.mode) return std::nullopt;
  return LocalAttrs{current_signature, attrs.mode, std::nullopt};
}

using AttrsBatch = std::map<std::pair<std::string, std::string>, LocalAttrs>;

// One transaction for the whole batch. A workspace removed meanwhile
// takes its entries with it.
Status WriteLocalAttrs(Store::Impl &impl, const AttrsBatch &batch) {
  return impl.env->Write([&](WriteTxn &txn) -> Status {
    for (const auto &[key, attrs] : batch) {
      auto ws = impl.WorkspaceId(txn, key.first);
      if (!ws.ok() && ws.status().code() == StatusCode::kNotFound) continue;
      if (!ws.ok()) return ws.status();
      if (Status s = txn.Put(impl.local_attrs, WinnerKey(*ws, key.second), EncodeLocalAttrs(attrs)); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

// Writes what is pending now; entries changed meanwhile stay pending.
Status FlushPending(Store::Impl &impl) {
  Store::Impl::PendingAttrs &p = impl.pending;
  std::scoped_lock write(p.write_mu);
  AttrsBatch batch;
  {
    std::scoped_lock lock(p.mu);
    batch = p.attrs;
  }
  if (batch.empty()) return Status::Ok();
  Status s = WriteLocalAttrs(impl, batch);
  std::scoped_lock lock(p.mu);
  p.last_error = s;
  if (!s.ok()) return s;
  for (const auto &[key, attrs] : batch) {
    auto it = p.attrs.find(key);
    if (it != p.attrs.end() && it->second.signature == attrs.signature && it->second.mode == attrs.mode &&
        it->second.mtime_ns == attrs.mtime_ns) {
      p.attrs.erase(it);
    }
  }
  return Status::Ok();
}

// The writer thread: once something is pending, waits kLocalAttrsDelayMs
// for more, then writes it all. A failed write (a full disk) is retried
// after the same delay; FlushLocalAttrs reports it.
void RunWriter(Store::Impl &impl) {
  Store::Impl::PendingAttrs &p = impl.pending;
  const auto delay = std::chrono::milliseconds(Store::kLocalAttrsDelayMs);
  std::unique_lock lock(p.mu);
  while (!p.stopping) {
    p.wake.wait(lock, [&] { return p.stopping || !p.attrs.empty(); });
    if (p.stopping) break;
    p.wake.wait_for(lock, delay, [&] { return p.stopping; });
    lock.unlock();
    (void)FlushPending(impl);
    lock.lock();
  }
}

}  // namespace

Status Store::SetLocalAttrs(const std::string &workspace, const std::string &path, const LocalAttrs &attrs,
                            Durability durability) {
  Impl &impl = *impl_;
  Impl::PendingAttrs &p = impl.pending;
  if (durability == Durability::kSoon) {
    {
      // Unknown workspaces are refused now, not dropped later.
      auto txn = impl.env->BeginRead();
      if (!txn.ok()) return txn.status();
      if (auto ws = impl.WorkspaceId(*txn, workspace); !ws.ok()) return ws.status();
    }
    std::scoped_lock lock(p.mu);
    if (p.stopping) return Status::Storage("the store is closing");
    p.attrs[{workspace, path}] = attrs;
    if (!p.writer.joinable()) p.writer = std::thread(RunWriter, std::ref(impl));
    p.wake.notify_one();
    return Status::Ok();
  }
  std::scoped_lock write(p.write_mu);
  {
    std::scoped_lock lock(p.mu);
    p.attrs.erase({workspace, path});  // superseded: this one is newer
  }
  return WriteLocalAttrs(impl, {{{workspace, path}, attrs}});
}

Result<std::optional<LocalAttrs>> Store::GetLocalAttrs(const std::string &workspace, const std::string &path,
                                                       const std::string &current_signature) const {
  {
    Impl::PendingAttrs &p = impl_->pending;
    std::scoped_lock lock(p.mu);
    if (auto it = p.attrs.find({workspace, path}); it != p.attrs.end()) {
      return KeptFor(it->second, current_signature);
    }
  }
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  auto value = txn->Get(impl_->local_attrs, WinnerKey(*ws, path));
  if (!value.ok() || value->size() < 13) return std::optional<LocalAttrs>();
  LocalAttrs attrs;
  attrs.signature = std::string(value->substr(13));
  const char flags = (*value)[0];
  if (flags & 1) attrs.mode = ReadU32(value->substr(1));
  if (flags & 2) attrs.mtime_ns = static_cast<int64_t>(ReadU64(value->substr(5)));
  return KeptFor(attrs, current_signature);
}

Status Store::FlushLocalAttrs() {
  Status s = FlushPending(*impl_);
  if (!s.ok()) return s;
  std::scoped_lock lock(impl_->pending.mu);
  return impl_->pending.attrs.empty() ? Status::Ok() : impl_->pending.last_error;
}

Status Store::FlushLocalAttrs(const std::string& workspace, const std::string& path) {
  {
    std::scoped_lock lock(impl_->pending.mu);
    if (!impl_->pending.attrs.contains({workspace, path})) return Status::Ok();
  }
  return FlushLocalAttrs();
}

void Store::StopLocalAttrsWriter() {
  if (!impl_) return;
  Impl::PendingAttrs &p = impl_->pending;
  {
    std::scoped_lock lock(p.mu);
    p.stopping = true;
  }
  p.wake.notify_all();
  if (p.writer.joinable()) p.writer.join();
  (void)FlushPending(*impl_);  // what is left is written now
}

// ---- local values ----

Status Store::SetLocalValue(const std::string &key, const OrderedJson &value) {
  Impl &impl = *impl_;
  return impl.env->Write([&](WriteTxn &txn) { return txn.Put(impl.meta, "local:" + key, value.dump()); });
}

Result<std::optional<OrderedJson>> Store::GetLocalValue(const std::string &key) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto value = txn->Get(impl_->meta, "local:" + key);
  if (!value.ok()) return std::optional<OrderedJson>();
  auto json = OrderedJson::parse(*value, nullptr, false);
  if (json.is_discarded()) return std::optional<OrderedJson>();
  return std::optional<OrderedJson>(std::move(json));
}

}  // namespace esfs::core
