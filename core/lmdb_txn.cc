#include "core/lmdb_txn.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

namespace esfs::core {
namespace {

MDB_val Val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }

}  // namespace

Status LmdbStatus(int rc, const std::string& what) {
  if (rc == 0) return Status::Ok();
  if (rc == MDB_NOTFOUND) return Status::NotFound(what + ": not found");
  if (rc == ENOSPC) return Status::NoSpace(what + ": the disk is full (nothing was changed)");
  if (rc == EACCES) return Status::Storage(what + ": permission denied");
  if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID) {
    return Status::Corruption(what + ": " + mdb_strerror(rc));
  }
  return Status::Storage(what + ": " + mdb_strerror(rc));
}

ReadTxn::ReadTxn(ReadTxn&& other) noexcept : txn_(other.txn_), lock_(std::move(other.lock_)) { other.txn_ = nullptr; }

ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

Result<std::string_view> ReadTxn::Get(MDB_dbi dbi, std::string_view key) const {
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc != 0) return LmdbStatus(rc, "get");
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

bool WriteTxn::DiskNearlyFull() const {
  const char* path = nullptr;
  if (mdb_env_get_path(env_, &path) != 0 || path == nullptr) return false;
  struct statvfs st;
  return ::statvfs(path, &st) == 0 && static_cast<uint64_t>(st.f_bavail) * st.f_frsize < (uint64_t{4} << 20);
}

Status WriteTxn::Put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k = Val(key), v = Val(value);
  int rc = mdb_put(txn_, dbi, &k, &v, 0);
  if (rc != 0) last_rc_ = rc;
  return LmdbStatus(rc, "put");
}

Result<char*> WriteTxn::Reserve(MDB_dbi dbi, std::string_view key, size_t size) {
  MDB_val k = Val(key), v{size, nullptr};
  int rc = mdb_put(txn_, dbi, &k, &v, MDB_RESERVE);
  if (rc != 0) {
    last_rc_ = rc;
    return LmdbStatus(rc, "put");
  }
  return static_cast<char*>(v.mv_data);
}

Status WriteTxn::PutJoined(MDB_dbi dbi, std::string_view key, std::initializer_list<std::string_view> parts) {
  size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  auto reserved = Reserve(dbi, key, size);
  if (!reserved.ok()) return reserved.status();
  char* at = *reserved;
  for (std::string_view part : parts) {
    if (!part.empty()) std::memcpy(at, part.data(), part.size());
    at += part.size();
  }
  return Status::Ok();
}

Status WriteTxn::Del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = Val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::Ok();
  if (rc != 0) last_rc_ = rc;
  return LmdbStatus(rc, "delete");
}

Status WriteTxn::Commit() {
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;  // committed or freed by LMDB either way
  if (rc != 0) last_rc_ = rc;
  // LMDB reports a short write (what a nearly full disk gives) as EIO.
  if (rc == EIO && DiskNearlyFull()) rc = ENOSPC;
  return LmdbStatus(rc, "commit");
}

Cursor::Cursor(const ReadTxn& txn, MDB_dbi dbi) {
  if (mdb_cursor_open(txn.get(), dbi, &cursor_) != 0) std::abort();  // only with a bad dbi: a bug
}

Cursor::~Cursor() { mdb_cursor_close(cursor_); }

bool Cursor::Op(MDB_cursor_op op) { return mdb_cursor_get(cursor_, &key_, &value_, op) == 0; }

bool Cursor::Seek(std::string_view key) {
  key_ = Val(key);
  return Op(MDB_SET_RANGE);
}
bool Cursor::First() { return Op(MDB_FIRST); }
bool Cursor::Last() { return Op(MDB_LAST); }
bool Cursor::Next() { return Op(MDB_NEXT); }
bool Cursor::Prev() { return Op(MDB_PREV); }

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const std::string& dir, size_t initial_map_bytes, int max_dbs) {
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return LmdbStatus(rc, "create LMDB environment");
  std::unique_ptr<LmdbEnv> result(new LmdbEnv(env));
  mdb_env_set_maxdbs(env, static_cast<MDB_dbi>(max_dbs));
  mdb_env_set_maxreaders(env, 254);
  // A bigger map recorded by another process wins over ours.
  mdb_env_set_mapsize(env, initial_map_bytes);
  // MDB_NOTLS: read transactions are not tied to threads (FUSE worker
  // threads hand work around). MDB_NOMETASYNC (DESIGN decision 4): a
  // commit flushes its data pages once and writes the meta page without a
  // flush, so a commit costs one disk flush, not two. It is in the file (seen
  // by every process, safe from any crash of esfs) at once; a power cut may
  // drop only the last commits and leaves the store consistent. Sync()
  // makes everything committed so far durable (fsync, exit).
  rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS | MDB_NORDAHEAD | MDB_NOMETASYNC, 0600);
  if (rc == MDB_INVALID) return Status::InvalidArgument(dir + " is not an esfs store (not an LMDB environment)");
  if (rc != 0) return LmdbStatus(rc, "open store " + dir);
  MDB_envinfo info;
  mdb_env_info(env, &info);
  if (info.me_mapsize < initial_map_bytes) mdb_env_set_mapsize(env, initial_map_bytes);
  return result;
}

LmdbEnv::~LmdbEnv() { mdb_env_close(env_); }

Result<MDB_dbi> LmdbEnv::OpenDb(const std::string& name) {
  auto txn = BeginRead();
  if (!txn.ok()) return txn.status();
  MDB_dbi dbi;
  int rc = mdb_dbi_open(txn->get(), name.c_str(), 0, &dbi);
  if (rc != 0) return LmdbStatus(rc, "open database " + name);
  // A handle opened in a read transaction stays valid once it ends
  // without error; commit it so that LMDB keeps it for the environment.
  rc = mdb_txn_commit(txn->txn_);
  txn->txn_ = nullptr;
  if (rc != 0) return LmdbStatus(rc, "open database " + name);
  return dbi;
}

Result<MDB_dbi> LmdbEnv::CreateDb(const std::string& name) {
  MDB_dbi dbi = 0;
  Status s = Write([&](WriteTxn& txn) -> Status {
    return LmdbStatus(mdb_dbi_open(txn.get(), name.c_str(), MDB_CREATE, &dbi), "create database " + name);
  });
  if (!s.ok()) return s;
  return dbi;
}

Result<std::vector<std::string>> LmdbEnv::MainDbKeys() {
  auto txn = BeginRead();
  if (!txn.ok()) return txn.status();
  MDB_dbi main;
  int rc = mdb_dbi_open(txn->get(), nullptr, 0, &main);
  if (rc != 0) return LmdbStatus(rc, "open main database");
  std::vector<std::string> keys;
  Cursor c(*txn, main);
  for (bool ok = c.First(); ok; ok = c.Next()) keys.emplace_back(c.key());
  return keys;
}

uint64_t LmdbEnv::last_txn_id() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_last_txnid;
}

size_t LmdbEnv::map_bytes() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

Status LmdbEnv::Sync() {
  const int rc = mdb_env_sync(env_, 1);
  return rc == 0 ? Status::Ok() : LmdbStatus(rc, "flush the store to disk");
}

void LmdbEnv::ReleaseMappedPages() {
  std::shared_lock lock(resize_mu_);  // the map does not move meanwhile
  ReleaseMappedPagesInTxn();
}

void LmdbEnv::ReleaseMappedPagesInTxn() {
  // LMDB does not tell where it mapped the file (MDB_envinfo::me_mapaddr
  // is only set with MDB_FIXEDMAP): find the mapping of data.mdb's inode.
  mdb_filehandle_t fd;
  struct stat file;
  if (mdb_env_get_fd(env_, &fd) != 0 || ::fstat(fd, &file) != 0) return;
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return;
  char line[512];
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    unsigned long begin = 0, end = 0, inode = 0;
    char perms[8] = {};
    // begin-end perms offset dev inode path
    if (std::sscanf(line, "%lx-%lx %7s %*s %*s %lu", &begin, &end, perms, &inode) != 4) continue;
    // LMDB maps the file read-only and writes with pwrite (no
    // MDB_WRITEMAP): no dirty page can be lost.
    if (inode == file.st_ino && perms[1] != 'w') {
      ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
    }
  }
  std::fclose(maps);
}

void LmdbEnv::PrefaultMapped(std::string_view bytes) {
#ifdef MADV_POPULATE_READ
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(bytes.data()) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(bytes.data()) + bytes.size();
  // The map is MADV_RANDOM (MDB_NORDAHEAD): pages not in the page cache
  // would be read from disk one 4 KiB page at a time. WILLNEED reads the
  // whole range in large requests first.
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_WILLNEED);
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
#else
  (void)bytes;
#endif
}

Status LmdbEnv::AdoptResize() {
  std::unique_lock lock(resize_mu_);
  return LmdbStatus(mdb_env_set_mapsize(env_, 0), "adopt the store's new size");
}

Status LmdbEnv::Grow() {
  std::unique_lock lock(resize_mu_);
  const size_t next = map_bytes() * 2;
  return LmdbStatus(mdb_env_set_mapsize(env_, next), "grow the store map");
}

Result<ReadTxn> LmdbEnv::BeginRead() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    int rc;
    {
      std::shared_lock lock(resize_mu_);
      MDB_txn* txn = nullptr;
      rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
      if (rc == 0) return ReadTxn(txn, std::move(lock));
    }
    if (rc != MDB_MAP_RESIZED) return LmdbStatus(rc, "begin read transaction");
    if (Status s = AdoptResize(); !s.ok()) return s;
  }
  return Status::Storage("begin read transaction: the store keeps being resized");
}

Status LmdbEnv::CheckFileStillThere() const {
  mdb_filehandle_t fd;
  struct stat file;
  if (mdb_env_get_fd(env_, &fd) != 0 || ::fstat(fd, &file) != 0 || file.st_nlink > 0) return Status::Ok();
  // Unlinked (rm -rf of the data folder): a commit would go to a file no
  // one will ever open again, and report success.
  const char* path = nullptr;
  std::string dir = mdb_env_get_path(env_, &path) == 0 && path != nullptr ? path : "?";
  const size_t slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) dir.resize(slash);  // <data>/store -> <data>
  return Status::Storage("the data folder " + dir +
                         " was removed (its store file is gone): nothing can be saved; "
                         "unmount and mount again");
}

Status LmdbEnv::Write(const std::function<Status(WriteTxn&)>& op) {
  if (Status gone = CheckFileStillThere(); !gone.ok()) return gone;
  for (int attempt = 0; attempt < 40; ++attempt) {
    std::shared_lock lock(resize_mu_);
    MDB_txn* raw = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &raw);
    if (rc == MDB_MAP_RESIZED) {
      lock.unlock();
      if (Status s = AdoptResize(); !s.ok()) return s;
      continue;
    }
    if (rc != 0) return LmdbStatus(rc, "begin write transaction");
    WriteTxn txn(raw, std::move(lock), env_);
    Status s = op(txn);
    if (s.ok()) s = txn.Commit();
    if (txn.last_rc() != MDB_MAP_FULL) return s;
    // Full map: let go of the transaction (and our shared lock), grow, retry.
    { WriteTxn dropped = std::move(txn); }
    if (Status g = Grow(); !g.ok()) return g;
  }
  return Status::Storage("write: the store map could not grow enough");
}

}  // namespace esfs::core
