// Store: opens the LMDB environment, checks that it is ours, and makes the
// parts (core/store.h). The parts' code is in core/store_*.cc.
#include "core/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "core/store_state.h"

namespace esfs::core {

using namespace store_codec;
namespace stdfs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "esfs-store";

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
  // The mount daemon's log (esfs.log, esfs.log.1) is written before the
  // store is opened: a folder that holds only that is new.
  bool empty = true;
  for (; it != stdfs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name != "esfs.log" && name != "esfs.log.1") empty = false;
  }
  if (!empty && !stdfs::exists(stdfs::path(dir) / "store", ec)) {
    return Status::InvalidArgument("data folder " + dir +
                                   " holds other files and no esfs store; choose an empty or new folder");
  }
  return Status::Ok();
}

}  // namespace

Store::Store(std::unique_ptr<StoreState> state)
    : state_(std::move(state)), replica_(*state_), folders_(*state_), local_(*state_), workspaces_(*state_) {}

Store::~Store() {
  local_.Stop();
  // What this process committed is durable once it closes the store (a
  // command's exit, an unmount), as close(2) of a file followed by exit
  // is not, but users of a command line expect.
  (void)state_->env->Sync();
}

const Clock& Store::clock() const { return *state_->clock; }
const std::string& Store::data_dir() const { return state_->data_dir; }
size_t Store::map_bytes() const { return state_->env->map_bytes(); }
uint64_t Store::CommitCount() const { return state_->env->last_txn_id(); }
void Store::ReleaseMappedPages() { state_->env->ReleaseMappedPages(); }
Status Store::Sync() { return state_->env->Sync(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (Status s = CheckDataDir(options.data_dir); !s.ok()) return s;
  const std::string store_dir = options.data_dir + "/store";
  std::error_code ec;
  stdfs::create_directories(store_dir, ec);
  if (ec) return Status::Storage("cannot create " + store_dir + ": " + ec.message());
  auto state = std::make_unique<StoreState>();
  state->data_dir = options.data_dir;
  if (options.clock == nullptr) state->owned_clock = std::make_unique<SystemClock>();
  state->clock = options.clock ? options.clock : state->owned_clock.get();
  auto env = LmdbEnv::Open(store_dir, options.initial_map_bytes, 16);
  if (!env.ok()) return env.status();  // InvalidArgument: not an LMDB environment (LmdbEnv::Open)
  state->env = std::move(env.value());
  // Everything up to here only reads, so opening never waits for another
  // process's long write. An environment with data of another program is
  // refused before anything is created in it.
  auto main_keys = state->env->MainDbKeys();
  if (!main_keys.ok()) return main_keys.status();
  struct Named {
    const char* name;
    MDB_dbi* dbi;
  };
  const Named named[] = {
      {"meta", &state->meta},         {"workspaces", &state->workspaces},     {"docs", &state->docs},
      {"winners", &state->winners},   {"by_author", &state->by_author},       {"by_time", &state->by_time},
      {"expiry", &state->expiry},     {"changes", &state->changes},           {"local_attrs", &state->local_attrs},
      {"versions", &state->versions}, {"versions_age", &state->versions_age}, {"local_saves", &state->local_saves},
      {"by_seq", &state->by_seq}};
  const bool fresh = main_keys->empty();
  for (const auto& key : *main_keys) {
    const bool ours = std::any_of(std::begin(named), std::end(named), [&](const Named& n) { return key == n.name; });
    if (!ours || std::find(main_keys->begin(), main_keys->end(), "meta") == main_keys->end()) {
      return Status::InvalidArgument(store_dir + " is not an esfs store (it holds another program's data)");
    }
  }
  for (const Named& n : named) {
    auto dbi = state->env->OpenDb(n.name);
    if (!dbi.ok() && dbi.status().code() == StatusCode::kNotFound) dbi = state->env->CreateDb(n.name);
    if (!dbi.ok()) return dbi.status();
    *n.dbi = *dbi;
  }
  StoreState* raw = state.get();
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
  if (Status s = EnsureSeqIndex(*raw); !s.ok()) return s;
  return std::unique_ptr<Store>(new Store(std::move(state)));
}

}  // namespace esfs::core
