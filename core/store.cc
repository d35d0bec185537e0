#include "core/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "core/address.h"
#include "core/ordering.h"
#include "core/store_impl.h"
#include "core/validate.h"

namespace esfs::core {

using namespace store_codec;
namespace stdfs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "esfs-store";
constexpr char kChangeStored = 'D';
constexpr char kChangeRemoved = 'X';

std::string ChangeValue(char kind, uint32_t ws, const std::string& path, const std::string& author) {
  std::string v(1, kind);
  v += U32(ws) + U32(static_cast<uint32_t>(path.size())) + path + author;
  return v;
}

// Refuses folders that hold someone else's files.
Status CheckDataDir(const std::string& dir) {
  std::error_code ec;
  const bool exists = stdfs::exists(dir, ec);
  if (ec) return Status::Storage("cannot access data folder " + dir + ": " + ec.message());
  if (!exists) {
    stdfs::create_directories(dir, ec);
    if (ec) return Status::Storage("cannot create data folder " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    return Status::Ok();
  }
  if (!stdfs::is_directory(dir, ec)) return Status::InvalidArgument("data folder " + dir + " is not a folder");
  auto it = stdfs::directory_iterator(dir, ec);
  if (ec) return Status::Storage("cannot read data folder " + dir + ": " + ec.message());
  bool empty = it == stdfs::directory_iterator();
  if (!empty && !stdfs::exists(stdfs::path(dir) / "store", ec)) {
    return Status::InvalidArgument("data folder " + dir +
                                   " holds other files and no esfs store; choose an empty or new folder");
  }
  return Status::Ok();
}

}  // namespace

const char* IngestResultName(IngestResult r) {
  switch (r) {
    case IngestResult::kAccepted: return "ACCEPTED";
    case IngestResult::kIgnored: return "IGNORED";
    case IngestResult::kInvalid: return "INVALID";
  }
  return "?";
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() {
  StopLocalAttrsWriter();
  // What this process committed is durable once it closes the store (a
  // command's exit, an unmount), as close(2) of a file followed by exit
  // is not, but users of a command line expect.
  (void)impl_->env->Sync();
}
const Clock& Store::clock() const { return *impl_->clock; }
const std::string& Store::data_dir() const { return impl_->data_dir; }
size_t Store::map_bytes() const { return impl_->env->map_bytes(); }

void Store::ReleaseMappedPages() { impl_->env->ReleaseMappedPages(); }
Status Store::Sync() { return impl_->env->Sync(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (Status s = CheckDataDir(options.data_dir); !s.ok()) return s;
  const std::string store_dir = options.data_dir + "/store";
  std::error_code ec;
  stdfs::create_directories(store_dir, ec);
  if (ec) return Status::Storage("cannot create " + store_dir + ": " + ec.message());
  auto impl = std::make_unique<Impl>();
  impl->data_dir = options.data_dir;
  if (options.clock == nullptr) impl->owned_clock = std::make_unique<SystemClock>();
  impl->clock = options.clock ? options.clock : impl->owned_clock.get();
  auto env = LmdbEnv::Open(store_dir, options.initial_map_bytes, 16);
  if (!env.ok()) return env.status();  // InvalidArgument: not an LMDB environment
  impl->env = std::move(env.value());
  // Everything up to here only reads, so opening never waits for another
  // process's long write. An environment with data of another program is
  // refused before anything is created in it.
  auto main_keys = impl->env->MainDbKeys();
  if (!main_keys.ok()) return main_keys.status();
  struct Named { const char* name; MDB_dbi* dbi; };
  const Named named[] = {{"meta", &impl->meta},           {"workspaces", &impl->workspaces},
                         {"docs", &impl->docs},           {"winners", &impl->winners},
                         {"by_author", &impl->by_author}, {"by_time", &impl->by_time},
                         {"expiry", &impl->expiry},       {"changes", &impl->changes},
                         {"local_attrs", &impl->local_attrs}};
  const bool fresh = main_keys->empty();
  for (const auto& key : *main_keys) {
    const bool ours = std::any_of(std::begin(named), std::end(named), [&](const Named& n) { return key == n.name; });
    if (!ours || std::find(main_keys->begin(), main_keys->end(), "meta") == main_keys->end()) {
      return Status::InvalidArgument(store_dir + " is not an esfs store (it holds another program's data)");
    }
  }
  for (const Named& n : named) {
    auto dbi = impl->env->OpenDb(n.name);
    if (!dbi.ok() && dbi.status().code() == StatusCode::kNotFound) dbi = impl->env->CreateDb(n.name);
    if (!dbi.ok()) return dbi.status();
    *n.dbi = *dbi;
  }
  Impl* raw = impl.get();
  if (fresh) {
    Status created = raw->env->Write([raw](WriteTxn& txn) -> Status {
      if (Status s = txn.Put(raw->meta, "magic", kMagic); !s.ok()) return s;
      return txn.Put(raw->meta, "version", U32(kStoreFormatVersion));
    });
    if (!created.ok()) return created;
  }
  {
    auto txn = raw->env->BeginRead();
    if (!txn.ok()) return txn.status();
    auto magic = txn->Get(raw->meta, "magic");
    if (!magic.ok() || *magic != kMagic) return Status::InvalidArgument(store_dir + " is not an esfs store");
    auto version = txn->Get(raw->meta, "version");
    if (!version.ok() || version->size() != 4) {
      return Status::Corruption(store_dir + ": format version record is damaged");
    }
    const uint32_t v = ReadU32(*version);
    if (v > kStoreFormatVersion) {
      return Status::InvalidArgument(store_dir + " has format version " + std::to_string(v) +
                                     ", newer than this esfs understands (" + std::to_string(kStoreFormatVersion) +
                                     "); use a newer esfs");
    }
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

// ---- workspaces ----

Result<uint32_t> Store::Impl::WorkspaceId(const ReadTxn& txn, const std::string& address) const {
  {
    std::scoped_lock lock(ids_mu);
    if (auto it = id_of.find(address); it != id_of.end()) return it->second;
  }
  auto value = txn.Get(workspaces, address);
  if (!value.ok()) {
    return Status::NotFound("workspace " + address + " is not in this store (add it: esfs workspace add " +
                            address + ")");
  }
  uint32_t id = ReadU32(*value);
  std::scoped_lock lock(ids_mu);
  id_of[address] = id;
  address_of[id] = address;
  return id;
}

std::string Store::Impl::WorkspaceAddress(const ReadTxn& txn, uint32_t id) const {
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

Status Store::AddWorkspace(const std::string& address, const OrderedJson& config) {
  if (auto parsed = ParseWorkspaceAddress(address); !parsed.ok()) {
    return Status::InvalidArgument(parsed.status().message());
  }
  Impl* impl = impl_.get();
  return impl->env->Write([&](WriteTxn& txn) -> Status {
    uint32_t id;
    if (auto existing = txn.Get(impl->workspaces, address); existing.ok()) {
      id = ReadU32(*existing);
    } else {
      auto next = txn.Get(impl->meta, "next_ws");
      id = next.ok() ? ReadU32(*next) : 1;
      if (Status s = txn.Put(impl->meta, "next_ws", U32(id + 1)); !s.ok()) return s;
    }
    return txn.Put(impl->workspaces, address, U32(id) + config.dump());
  });
}

Status Store::SetWorkspaceConfig(const std::string& address, const OrderedJson& config) {
  {
    auto txn = impl_->env->BeginRead();
    if (!txn.ok()) return txn.status();
    if (auto id = impl_->WorkspaceId(*txn, address); !id.ok()) return id.status();
  }
  return AddWorkspace(address, config);
}

Result<std::vector<WorkspaceInfo>> Store::ListWorkspaces(bool count_documents) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  std::vector<WorkspaceInfo> all;
  Cursor c(*txn, impl_->workspaces);
  for (bool ok = c.First(); ok; ok = c.Next()) {
    WorkspaceInfo info;
    info.address = std::string(c.key());
    auto config = OrderedJson::parse(c.value().substr(4), nullptr, false);
    info.config = config.is_discarded() ? OrderedJson::object() : config;
    if (count_documents) {
      const std::string prefix = U32(ReadU32(c.value()));
      Cursor d(*txn, impl_->docs);
      for (bool more = d.Seek(prefix); more && d.key().substr(0, 4) == prefix; more = d.Next()) ++info.documents;
    }
    all.push_back(std::move(info));
  }
  return all;
}

Result<WorkspaceInfo> Store::GetWorkspace(const std::string& address, bool count_documents) const {
  auto all = ListWorkspaces(count_documents);
  if (!all.ok()) return all.status();
  for (auto& info : *all) {
    if (info.address == address) return info;
  }
  return Status::NotFound("workspace " + address + " is not in this store");
}

Status Store::RemoveWorkspace(const std::string& address) {
  Impl* impl = impl_.get();
  Status s = impl->env->Write([&](WriteTxn& txn) -> Status {
    auto id = impl->WorkspaceId(txn, address);
    if (!id.ok()) return id.status();
    const std::string prefix = U32(*id);
    for (MDB_dbi dbi : {impl->docs, impl->winners, impl->by_author, impl->by_time, impl->local_attrs}) {
      Cursor c(txn, dbi);
      std::vector<std::string> doomed;
      for (bool ok = c.Seek(prefix); ok && c.key().substr(0, 4) == prefix; ok = c.Next()) doomed.emplace_back(c.key());
      for (const auto& k : doomed) {
        if (Status d = txn.Del(dbi, k); !d.ok()) return d;
      }
    }
    for (MDB_dbi dbi : {impl->expiry, impl->changes}) {
      // Keys start with a time or a sequence number; the workspace id
      // is at a fixed place in the value (expiry) or after the kind byte.
      Cursor c(txn, dbi);
      std::vector<std::string> doomed;
      for (bool ok = c.First(); ok; ok = c.Next()) {
        std::string_view v = c.value();
        std::string_view ws = dbi == impl->changes ? v.substr(1, 4) : c.key().substr(8, 4);
        if (ws == prefix) doomed.emplace_back(c.key());
      }
      for (const auto& k : doomed) {
        if (Status d = txn.Del(dbi, k); !d.ok()) return d;
      }
    }
    return txn.Del(impl->workspaces, address);
  });
  if (s.ok()) {
    std::scoped_lock lock(impl->ids_mu);
    if (auto it = impl->id_of.find(address); it != impl->id_of.end()) {
      impl->address_of.erase(it->second);
      impl->id_of.erase(it);
    }
  }
  return s;
}

// ---- versions and winners ----

std::vector<StoredDoc> Store::Impl::VersionsAt(const ReadTxn& txn, uint32_t ws, const std::string& address,
                                               const std::string& path) const {
  std::vector<StoredDoc> versions;
  std::string prefix = WinnerKey(ws, path);
  prefix.push_back('\0');
  Cursor c(txn, docs);
  for (bool ok = c.Seek(prefix); ok && c.key().substr(0, prefix.size()) == prefix; ok = c.Next()) {
    StoredDoc stored;
    if (!DecodeDoc(c.value(), address, &stored)) continue;  // skipped: checked by the integrity test
    if (stored.doc.path == path) versions.push_back(std::move(stored));
  }
  return versions;
}

const StoredDoc* Store::Impl::PickWinner(const std::vector<StoredDoc>& versions, int64_t now) {
  const StoredDoc* winner = nullptr;
  for (const auto& v : versions) {
    if (Expired(v.doc, now)) continue;
    if (winner == nullptr || WinsOver(v.doc, winner->doc)) winner = &v;
  }
  return winner;
}

namespace {

uint64_t NextSeq(WriteTxn& txn, MDB_dbi meta, Status* status) {
  auto current = txn.Get(meta, "seq");
  uint64_t next = (current.ok() && current->size() == 8 ? ReadU64(*current) : 0) + 1;
  *status = txn.Put(meta, "seq", U64(next));
  return next;
}

// Rewrites the winners entry of one path after its versions changed.
Status RefreshWinner(Store::Impl& impl, WriteTxn& txn, uint32_t ws, const std::string& address,
                     const std::string& path, int64_t now) {
  auto versions = impl.VersionsAt(txn, ws, address, path);
  const StoredDoc* winner = Store::Impl::PickWinner(versions, now);
  const std::string key = WinnerKey(ws, path);
  if (winner == nullptr) return txn.Del(impl.winners, key);
  return txn.Put(impl.winners, key, EncodeWinner(winner->doc, winner->seq));
}

// The winners entry after |doc| (alive: it passed validation at |now|) was
// stored as |seq|. When the path had no living winner, or |doc| is strictly
// newer than the one it had, |doc| wins and the other versions need not be
// read (the common case: a new file, a newer save); otherwise every version
// is compared again (ties, the reference's string-order quirk, expiry).
Status RefreshWinnerWith(Store::Impl& impl, WriteTxn& txn, uint32_t ws, const std::string& address,
                         const Document& doc, uint64_t seq, int64_t now) {
  const std::string key = WinnerKey(ws, doc.path);
  auto current = txn.Get(impl.winners, key);
  bool wins = false;
  if (!current.ok()) {
    wins = current.status().code() == StatusCode::kNotFound;
  } else {
    WinnerSummary summary;
    wins = DecodeWinner(*current, doc.path, &summary) && summary.path == doc.path &&
           !(summary.deleteAfter && now > *summary.deleteAfter) && doc.timestamp > summary.timestamp;
  }
  if (!wins) return RefreshWinner(impl, txn, ws, address, doc.path, now);
  return txn.Put(impl.winners, key, EncodeWinner(doc, seq));
}

// Drops one stored document and its index entries (not the winner).
Status DropIndexes(Store::Impl& impl, WriteTxn& txn, uint32_t ws, const StoredDoc& old) {
  const std::string doc_key = DocKey(ws, old.doc.path, old.doc.author);
  if (Status s = txn.Del(impl.by_time, TimeKey(ws, old.doc.timestamp, old.seq)); !s.ok()) return s;
  if (Status s = txn.Del(impl.changes, U64(old.seq)); !s.ok()) return s;
  if (old.doc.deleteAfter) {
    if (Status s = txn.Del(impl.expiry, U64(static_cast<uint64_t>(*old.doc.deleteAfter)) + doc_key); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<IngestOutcome> ApplyValidated(Store::Impl& impl, WriteTxn& txn, uint32_t ws, const std::string& address,
                                     const Document& doc, int64_t now) {
  if (doc.workspace != address) {
    return IngestOutcome{IngestResult::kInvalid, "ingestDocument: can't ingest doc from different workspace"};
  }
  const std::string doc_key = DocKey(ws, doc.path, doc.author);
  std::optional<StoredDoc> old;
  if (auto existing = txn.Get(impl.docs, doc_key); existing.ok()) {
    DocView view;
    uint64_t seq = 0;
    if (DecodeDocView(*existing, &view, &seq) && view.path == doc.path) {
      // Replacing it needs its times, signature and keys, never its
      // content: a save over a 4 MB file copied 4 MB here.
      view.content = {};
      old = StoredDoc{ToDocument(view, address), seq};
    }
  }
  if (old && !Store::Impl::Expired(old->doc, now) && !ReplacesForIngest(doc, old->doc)) {
    return IngestOutcome{IngestResult::kIgnored, "an equal or newer document by this author is already stored"};
  }
  if (old) {
    if (Status s = DropIndexes(impl, txn, ws, *old); !s.ok()) return s;
  }
  Status s;
  const uint64_t seq = NextSeq(txn, impl.meta, &s);
  if (!s.ok()) return s;
  if (s = txn.PutJoined(impl.docs, doc_key, {EncodeDocHead(doc, seq), doc.content}); !s.ok()) return s;
  // The author's older version at this path had the same by_author entry:
  // writing it again would copy its B-tree path for nothing (every page a
  // commit touches is one more write to sync).
  if (!old) {
    if (s = txn.Put(impl.by_author, AuthorKey(ws, doc.author, doc.path), doc_key); !s.ok()) return s;
  }
  if (s = txn.Put(impl.by_time, TimeKey(ws, doc.timestamp, seq), doc_key); !s.ok()) return s;
  if (s = txn.Put(impl.changes, U64(seq), ChangeValue(kChangeStored, ws, doc.path, doc.author)); !s.ok()) return s;
  if (doc.deleteAfter) {
    if (s = txn.Put(impl.expiry, U64(static_cast<uint64_t>(*doc.deleteAfter)) + doc_key, ""); !s.ok()) return s;
  }
  if (s = RefreshWinnerWith(impl, txn, ws, address, doc, seq, now); !s.ok()) return s;
  return IngestOutcome{IngestResult::kAccepted, "", seq};
}

IngestOutcome InvalidOutcome(const Status& s) { return {IngestResult::kInvalid, s.message()}; }


// ---- expiry ----

Result<size_t> Store::SweepExpired() {
  Impl& impl = *impl_;
  size_t removed = 0;
  Status written = impl.env->Write([&](WriteTxn& txn) -> Status {
    removed = 0;
    const int64_t now = impl.Now();
    std::vector<std::string> doomed;
    {
      Cursor c(txn, impl.expiry);
      for (bool ok = c.First(); ok; ok = c.Next()) {
        if (static_cast<int64_t>(ReadU64(c.key())) >= now) break;
        doomed.emplace_back(c.key().substr(8));
      }
    }
    for (const auto& doc_key : doomed) {
      const uint32_t ws = ReadU32(doc_key);
      const std::string address = impl.WorkspaceAddress(txn, ws);
      auto value = txn.Get(impl.docs, doc_key);
      StoredDoc stored;
      if (!value.ok() || !DecodeDoc(*value, address, &stored)) continue;
      if (!Impl::Expired(stored.doc, now)) continue;
      if (Status s = DropIndexes(impl, txn, ws, stored); !s.ok()) return s;
      if (Status s = txn.Del(impl.docs, doc_key); !s.ok()) return s;
      if (Status s = txn.Del(impl.by_author, AuthorKey(ws, stored.doc.author, stored.doc.path)); !s.ok()) return s;
      Status seq_status;
      const uint64_t seq = NextSeq(txn, impl.meta, &seq_status);
      if (!seq_status.ok()) return seq_status;
      if (Status s = txn.Put(impl.changes, U64(seq), ChangeValue(kChangeRemoved, ws, stored.doc.path, stored.doc.author));
          !s.ok()) {
        return s;
      }
      if (Status s = RefreshWinner(impl, txn, ws, address, stored.doc.path, now); !s.ok()) return s;
      ++removed;
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return removed;
}

// ---- change feed ----

Result<std::vector<Change>> Store::ChangesSince(uint64_t after, size_t limit) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  std::vector<Change> changes;
  Cursor c(*txn, impl_->changes);
  for (bool ok = c.Seek(U64(after + 1)); ok && changes.size() < limit; ok = c.Next()) {
    std::string_view v = c.value();
    if (v.size() < 9) continue;
    Change change;
    change.seq = ReadU64(c.key());
    change.removed = v[0] == kChangeRemoved;
    change.workspace = impl_->WorkspaceAddress(*txn, ReadU32(v.substr(1)));
    const uint32_t path_len = ReadU32(v.substr(5));
    if (v.size() < 9 + path_len) continue;
    change.path = std::string(v.substr(9, path_len));
    change.author = std::string(v.substr(9 + path_len));
    changes.push_back(std::move(change));
  }
  return changes;
}

uint64_t Store::CommitCount() const { return impl_->env->last_txn_id(); }

Result<uint64_t> Store::LastSeq() const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto seq = txn->Get(impl_->meta, "seq");
  return seq.ok() && seq->size() == 8 ? ReadU64(*seq) : uint64_t{0};
}

}  // namespace esfs::core
