// RAII for LMDB: an environment, read and write transactions, and cursors.
//
// Transactions are move-only; a transaction that was not committed is
// aborted by its destructor. A string_view returned by Get() points into
// the map and dies with its transaction: copy before returning it.
//
// Map growth: LmdbEnv::Write() runs a whole write operation and retries it
// after growing the map when LMDB reports MDB_MAP_FULL, so callers never
// see a full map. Another process growing the map (MDB_MAP_RESIZED) is
// adopted the same way. Every transaction holds resize_mu_ shared; growing
// takes it exclusively, because LMDB forbids resizing with live
// transactions in this process.
#pragma once

#include <lmdb.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace esfs::core {

class LmdbEnv;

// A Status for an LMDB return code, naming what was being done.
Status LmdbStatus(int rc, const std::string& what);

class ReadTxn {
 public:
  ReadTxn(ReadTxn&& other) noexcept;
  ReadTxn& operator=(ReadTxn&&) = delete;
  ~ReadTxn();

  MDB_txn* get() const { return txn_; }
  // The value at |key|, NotFound if absent.
  Result<std::string_view> Get(MDB_dbi dbi, std::string_view key) const;

 protected:
  friend class LmdbEnv;
  ReadTxn(MDB_txn* txn, std::shared_lock<std::shared_mutex> lock) : txn_(txn), lock_(std::move(lock)) {}
  MDB_txn* txn_;
  std::shared_lock<std::shared_mutex> lock_;
};

class WriteTxn : public ReadTxn {
 public:
  WriteTxn(WriteTxn&&) noexcept = default;
  // Puts fail with MDB_MAP_FULL when the map is full; LmdbEnv::Write retries.
  Status Put(MDB_dbi dbi, std::string_view key, std::string_view value);
  // A value made of |parts| one after another, written straight into the
  // space LMDB reserves for it: no joined copy (a document can be 4 MB).
  Status PutJoined(MDB_dbi dbi, std::string_view key, std::initializer_list<std::string_view> parts);
  // Makes room for a value of |size| bytes at |key| (MDB_RESERVE) and
  // returns where to write it; the caller fills all of it before the next
  // update of this transaction (LMDB's rule for reserved space).
  Result<char*> Reserve(MDB_dbi dbi, std::string_view key, size_t size);
  // OK if the key was absent.
  Status Del(MDB_dbi dbi, std::string_view key);
  Status Commit();
  // The LMDB code of the last failed call (MDB_MAP_FULL triggers growth).
  int last_rc() const { return last_rc_; }

 private:
  friend class LmdbEnv;
  WriteTxn(MDB_txn* txn, std::shared_lock<std::shared_mutex> lock, MDB_env* env)
      : ReadTxn(txn, std::move(lock)), env_(env) {}
  bool DiskNearlyFull() const;
  int last_rc_ = 0;
  MDB_env* env_ = nullptr;
};

// A cursor over one database inside a transaction.
class Cursor {
 public:
  Cursor(const ReadTxn& txn, MDB_dbi dbi);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // Positions at the first key >= |key|; false at the end.
  bool Seek(std::string_view key);
  bool First();
  bool Last();
  bool Next();
  bool Prev();
  std::string_view key() const { return Bytes(key_); }
  std::string_view value() const { return Bytes(value_); }

 private:
  static std::string_view Bytes(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }
  bool Op(MDB_cursor_op op);
  MDB_cursor* cursor_ = nullptr;
  MDB_val key_{0, nullptr};
  MDB_val value_{0, nullptr};
};

class LmdbEnv {
 public:
  // Opens (creating if needed) the environment in folder |dir|.
  static Result<std::unique_ptr<LmdbEnv>> Open(const std::string& dir, size_t initial_map_bytes, int max_dbs);
  ~LmdbEnv();

  // Opens a named database in a read transaction (NotFound if missing),
  // so that opening never waits for another process's writer.
  Result<MDB_dbi> OpenDb(const std::string& name);
  // Creates a named database (a write transaction).
  Result<MDB_dbi> CreateDb(const std::string& name);
  // The names stored in the unnamed main database (named databases live
  // there; anything else means the environment is not ours).
  Result<std::vector<std::string>> MainDbKeys();

  Result<ReadTxn> BeginRead();
  // Runs |op| in a write transaction and commits it. If the map fills, the
  // transaction is aborted, the map doubled and |op| run again; |op| must
  // therefore only touch the transaction (and state it resets itself).
  // Storage error, and no transaction, if the store file was unlinked
  // since it was opened (its folder removed): a commit would be lost.
  Status Write(const std::function<Status(WriteTxn&)>& op);
  // Storage error naming the data folder if the store file has no link
  // left (fstat of LMDB's fd); Ok otherwise. One fstat: cheap.
  Status CheckFileStillThere() const;

  size_t map_bytes() const;
  // The id of the last committed write transaction: it grows by one with
  // every commit that changed something (an empty commit writes nothing).
  uint64_t last_txn_id() const;
  // Drops this process's page mappings of the whole map (madvise
  // MADV_DONTNEED on the read-only, file-backed map): the pages stay in the
  // kernel's page cache and the next access maps them again. Safe while
  // transactions run.
  void ReleaseMappedPages();
  // The same, for a long scan to call while its own transaction (of this
  // env) is open: that transaction already keeps the map in place, so no
  // lock is taken again. A scan over many records maps far more than it
  // reads (the kernel maps up to 16 neighbouring pages per fault), so it
  // lets go every so often instead of holding the whole file mapped.
  void ReleaseMappedPagesInTxn();
  // Flushes every committed transaction to disk (mdb_env_sync with force):
  // after it, they survive a power cut. Thread-safe; takes no lock of ours.
  Status Sync();
  // Reads (MADV_WILLNEED) and maps (MADV_POPULATE_READ) the pages under
  // |bytes| (a value read from the map) before they are read whole: a page
  // fault per 64 KiB made copying a 4 MB document out of the map 2.5 times
  // slower, and with the pages not in the page cache each fault read one
  // page from disk (20 times slower than bindfs). POPULATE is a no-op on
  // kernels before 5.14.
  static void PrefaultMapped(std::string_view bytes);

 private:
  explicit LmdbEnv(MDB_env* env) : env_(env) {}
  Status Grow();
  Status AdoptResize();

  MDB_env* env_;
  mutable std::shared_mutex resize_mu_;  // shared: any live txn; exclusive: mapsize changes
};

}  // namespace esfs::core
