// Local state (core/store_local.h): attributes users set on files (mode,
// mtime) and small values (sync progress), never synced. Attributes may be
// written later, in batches (LocalState::Durability::kSoon).
#include "core/store_local.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "core/store_state.h"

namespace esfs::core {

using namespace store_codec;

using AttrsBatch = std::map<std::pair<std::string, std::string>, LocalAttrs>;

namespace {

// The value: a flags byte, the mode (4 bytes), mtime (8), then with
// kTimesFlag atime and ctime (8 each), then the signature. Values written
// before atime and ctime were kept lack the flag and the two times.
constexpr char kModeFlag = 1, kMtimeFlag = 2, kAtimeFlag = 4, kCtimeFlag = 8, kTimesFlag = 0x40;
constexpr size_t kShortHeader = 13, kLongHeader = 29;

std::string EncodeLocalAttrs(const LocalAttrs& attrs) {
  const bool times = attrs.atime_ns || attrs.ctime_ns;
  std::string value(1, static_cast<char>((attrs.mode ? kModeFlag : 0) | (attrs.mtime_ns ? kMtimeFlag : 0) |
                                         (attrs.atime_ns ? kAtimeFlag : 0) | (attrs.ctime_ns ? kCtimeFlag : 0) |
                                         (times ? kTimesFlag : 0)));
  value += U32(attrs.mode.value_or(0)) + U64(static_cast<uint64_t>(attrs.mtime_ns.value_or(0)));
  if (times) {
    value +=
        U64(static_cast<uint64_t>(attrs.atime_ns.value_or(0))) + U64(static_cast<uint64_t>(attrs.ctime_ns.value_or(0)));
  }
  return value + attrs.signature;
}

std::optional<LocalAttrs> DecodeLocalAttrs(std::string_view value) {
  if (value.size() < kShortHeader) return std::nullopt;
  const char flags = value[0];
  const size_t header = (flags & kTimesFlag) ? kLongHeader : kShortHeader;
  if (value.size() < header) return std::nullopt;
  LocalAttrs attrs;
  attrs.signature = std::string(value.substr(header));
  if (flags & kModeFlag) attrs.mode = ReadU32(value.substr(1));
  if (flags & kMtimeFlag) attrs.mtime_ns = static_cast<int64_t>(ReadU64(value.substr(5)));
  if (flags & kAtimeFlag) attrs.atime_ns = static_cast<int64_t>(ReadU64(value.substr(13)));
  if (flags & kCtimeFlag) attrs.ctime_ns = static_cast<int64_t>(ReadU64(value.substr(21)));
  return attrs;
}

// What of |attrs| still holds while the document with |current_signature|
// is the winner: all of it for the document they were set on; for a later
// version only the mode (a chmod protects the file, not one version of it:
// a new save or a peer's update must not make a 0600 file readable).
std::optional<LocalAttrs> KeptFor(const LocalAttrs& attrs, const std::string& current_signature) {
  if (attrs.signature == current_signature) return attrs;
  if (!attrs.mode) return std::nullopt;
  return LocalAttrs{current_signature, attrs.mode, std::nullopt, std::nullopt, std::nullopt};
}

// One transaction for the whole batch. A workspace removed meanwhile
// takes its entries with it.
Status WriteLocalAttrs(StoreState& state, const AttrsBatch& batch) {
  return state.env->Write([&](WriteTxn& txn) -> Status {
    for (const auto& [key, attrs] : batch) {
      auto ws = state.WorkspaceId(txn, key.first);
      if (!ws.ok() && ws.status().code() == StatusCode::kNotFound) continue;
      if (!ws.ok()) return ws.status();
      if (Status s = txn.Put(state.local_attrs, WinnerKey(*ws, key.second), EncodeLocalAttrs(attrs)); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

}  // namespace

// Local attributes set with Durability::kSoon, not yet written. Keyed by
// workspace address and path.
struct LocalState::Pending {
  // Held while writing local attributes, so that a kNow write and the
  // writer's batch land in the order they were made. Taken before mu.
  std::mutex write_mu;
  std::mutex mu;  // guards the members below; never held across a transaction
  std::condition_variable wake;
  AttrsBatch attrs;
  Status last_error = Status::Ok();
  bool stopping = false;
  std::thread writer;  // started by the first kSoon change

  // Writes what is pending now; entries changed meanwhile stay pending.
  Status Flush(StoreState& state) {
    std::scoped_lock write(write_mu);
    AttrsBatch batch;
    {
      std::scoped_lock lock(mu);
      batch = attrs;
    }
    if (batch.empty()) return Status::Ok();
    Status s = WriteLocalAttrs(state, batch);
    std::scoped_lock lock(mu);
    last_error = s;
    if (!s.ok()) return s;
    for (const auto& [key, written] : batch) {
      auto it = attrs.find(key);
      if (it != attrs.end() && it->second == written) {
        attrs.erase(it);
      }
    }
    return Status::Ok();
  }

  // The writer thread: once something is pending, waits kAttrsDelayMs for
  // more, then writes it all. A failed write (a full disk) is retried
  // after the same delay; FlushAttrs reports it.
  void RunWriter(StoreState& state) {
    const auto delay = std::chrono::milliseconds(LocalState::kAttrsDelayMs);
    std::unique_lock lock(mu);
    while (!stopping) {
      wake.wait(lock, [&] { return stopping || !attrs.empty(); });
      if (stopping) break;
      wake.wait_for(lock, delay, [&] { return stopping; });
      lock.unlock();
      (void)Flush(state);
      lock.lock();
    }
  }
};

LocalState::LocalState(StoreState& state) : state_(state), pending_(std::make_unique<Pending>()) {}
LocalState::~LocalState() { Stop(); }

Status LocalState::SetAttrs(const std::string& workspace, const std::string& path, const LocalAttrs& attrs,
                            Durability durability) {
  StoreState& state = state_;
  Pending& p = *pending_;
  {
    // Unknown workspaces are refused now (a batch written later drops the
    // entries of a workspace removed meanwhile).
    auto txn = state.env->BeginRead();
    if (!txn.ok()) return txn.status();
    if (auto ws = state.WorkspaceId(*txn, workspace); !ws.ok()) return ws.status();
  }
  if (durability == Durability::kSoon) {
    std::scoped_lock lock(p.mu);
    if (p.stopping) return Status::Storage("the store is closing");
    p.attrs[{workspace, path}] = attrs;
    if (!p.writer.joinable()) p.writer = std::thread([&p, &state] { p.RunWriter(state); });
    p.wake.notify_one();
    return Status::Ok();
  }
  std::scoped_lock write(p.write_mu);
  {
    std::scoped_lock lock(p.mu);
    p.attrs.erase({workspace, path});  // superseded: this one is newer
  }
  return WriteLocalAttrs(state, {{{workspace, path}, attrs}});
}

Result<std::optional<LocalAttrs>> LocalState::GetAttrs(const std::string& workspace, const std::string& path,
                                                       const std::string& current_signature) const {
  {
    Pending& p = *pending_;
    std::scoped_lock lock(p.mu);
    if (auto it = p.attrs.find({workspace, path}); it != p.attrs.end()) {
      return KeptFor(it->second, current_signature);
    }
  }
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  auto value = txn->Get(state_.local_attrs, WinnerKey(*ws, path));
  if (!value.ok()) return std::optional<LocalAttrs>();
  auto attrs = DecodeLocalAttrs(*value);
  if (!attrs) return std::optional<LocalAttrs>();
  return KeptFor(*attrs, current_signature);
}

Status LocalState::FlushAttrs() {
  Status s = pending_->Flush(state_);
  if (!s.ok()) return s;
  std::scoped_lock lock(pending_->mu);
  return pending_->attrs.empty() ? Status::Ok() : pending_->last_error;
}

Status LocalState::FlushAttrs(const std::string& workspace, const std::string& path) {
  {
    std::scoped_lock lock(pending_->mu);
    if (!pending_->attrs.contains({workspace, path})) return Status::Ok();
  }
  return FlushAttrs();
}

void LocalState::Stop() {
  Pending& p = *pending_;
  {
    std::scoped_lock lock(p.mu);
    p.stopping = true;
  }
  p.wake.notify_all();
  if (p.writer.joinable()) p.writer.join();
  (void)p.Flush(state_);  // what is left is written now
}

// ---- local values ----

Status LocalState::SetValue(const std::string& key, const OrderedJson& value) {
  StoreState& state = state_;
  return state.env->Write([&](WriteTxn& txn) { return txn.Put(state.meta, "local:" + key, value.dump()); });
}

Result<std::optional<OrderedJson>> LocalState::GetValue(const std::string& key) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto value = txn->Get(state_.meta, "local:" + key);
  if (!value.ok()) return std::optional<OrderedJson>();
  auto json = OrderedJson::parse(*value, nullptr, false);
  if (json.is_discarded()) return std::optional<OrderedJson>();
  return std::optional<OrderedJson>(std::move(json));
}

}  // namespace esfs::core
