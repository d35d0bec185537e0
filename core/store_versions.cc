// Local versions (DESIGN decision 9): the content a save or a deletion
// replaced, kept in the store's local state and never synced, so that an
// accidental save, an rm or a peer's overwrite can be undone from the
// history folder. The replica keeps a version in the same write
// transaction that replaces the winner (KeepReplaced, called by
// ApplyValidated for local writes and ingest alike); LocalState reads and
// expires them (core/store_local.h).
//
// Databases (docs/store.md):
//   versions:     ws | PathKey | 0x00 | timestamp | author -> kept_at | u32 path length | path | content
//   versions_age: kept_at | versions key                   -> u64 content bytes
//   local_saves:  ws | PathKey                             -> timestamp | author of the last save made here
// and meta's "local:conflicts:<workspace>" (a JSON number).
#include <charconv>
#include <cstring>

#include "core/ordering.h"
#include "core/store_local.h"
#include "core/store_state.h"

namespace esfs::core {

using namespace store_codec;

namespace {

constexpr int64_t kMicrosPerDay = int64_t{86'400} * 1'000'000;

std::string VersionPrefix(uint32_t ws, const std::string& path) {
  std::string prefix = WinnerKey(ws, path);
  prefix.push_back('\0');
  return prefix;
}

std::string VersionKey(uint32_t ws, const std::string& path, int64_t timestamp, const std::string& author) {
  return VersionPrefix(ws, path) + U64(static_cast<uint64_t>(timestamp)) + author;
}

// The head of a versions value; false if it is damaged or for another
// path (two long paths share a PathKey).
bool DecodeVersionHead(std::string_view value, const std::string& path, int64_t* kept_at, size_t* content_at) {
  if (value.size() < 12) return false;
  const uint32_t path_len = ReadU32(value.substr(8));
  if (value.size() < 12 + size_t{path_len} || value.substr(12, path_len) != path) return false;
  *kept_at = static_cast<int64_t>(ReadU64(value));
  *content_at = 12 + path_len;
  return true;
}

std::string ConflictKey(const std::string& address) { return "local:conflicts:" + address; }

uint64_t ParseCount(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : 0;
}

}  // namespace

Status KeepReplaced(StoreState& state, WriteTxn& txn, uint32_t ws, const std::string& address, const Document& doc,
                    int64_t now, bool local_write, std::string* conflict_with) {
  auto current = txn.Get(state.winners, WinnerKey(ws, doc.path));
  if (!current.ok()) return current.status().code() == StatusCode::kNotFound ? Status::Ok() : current.status();
  WinnerSummary winner;
  if (!DecodeWinner(*current, doc.path, &winner) || winner.path != doc.path) return Status::Ok();
  // Nothing to keep: an expired winner, a tombstone, or a document that
  // will not win (older: it changes nothing the user sees).
  if (winner.deleteAfter && now > *winner.deleteAfter) return Status::Ok();
  if (winner.content_bytes == 0 || doc.timestamp < winner.timestamp) return Status::Ok();
  const std::string old_key = DocKey(ws, doc.path, winner.author);
  auto value = txn.Get(state.docs, old_key);
  if (!value.ok()) return Status::Ok();
  DocView view;
  uint64_t seq = 0;
  if (!DecodeDocView(*value, &view, &seq) || view.path != doc.path) return Status::Ok();
  if (view.content == doc.content) return Status::Ok();
  const size_t content_bytes = view.content.size();
  // Everything but the content, copied: a view into the map must not be
  // used across the writes below.
  view.content = {};
  const Document old = ToDocument(view, address);
  if (!WinsOver(doc, old)) return Status::Ok();
  const std::string key = VersionKey(ws, doc.path, old.timestamp, old.author);
  const std::string head = U64(static_cast<uint64_t>(now)) + U32(static_cast<uint32_t>(doc.path.size())) + doc.path;
  // The content goes straight from the old document into the version's
  // reserved space: no copy of up to 4 MB in between (issue #18). The old
  // document is looked up again after the reservation, which is an update.
  auto room = txn.Reserve(state.versions, key, head.size() + content_bytes);
  if (!room.ok()) return room.status();
  auto again = txn.Get(state.docs, old_key);
  if (!again.ok() || !DecodeDocView(*again, &view, &seq) || view.content.size() != content_bytes) {
    return Status::Storage("keep the replaced version of " + doc.path + ": the stored document changed");
  }
  std::memcpy(*room, head.data(), head.size());
  if (content_bytes > 0) std::memcpy(*room + head.size(), view.content.data(), content_bytes);
  if (Status s = txn.Put(state.versions_age, U64(static_cast<uint64_t>(now)) + key, U64(content_bytes)); !s.ok()) {
    return s;
  }
  // A conflict: a peer's save replacing a save made here moments before.
  if (local_write || doc.author == old.author || doc.timestamp - old.timestamp > kConflictWindowMicros) {
    return Status::Ok();
  }
  auto saved = txn.Get(state.local_saves, WinnerKey(ws, doc.path));
  if (!saved.ok() || *saved != U64(static_cast<uint64_t>(old.timestamp)) + old.author) return Status::Ok();
  auto count = txn.Get(state.meta, ConflictKey(address));
  const uint64_t n = (count.ok() ? ParseCount(*count) : 0) + 1;
  if (Status s = txn.Put(state.meta, ConflictKey(address), std::to_string(n)); !s.ok()) return s;
  *conflict_with = old.author;
  return Status::Ok();
}

Status NoteLocalSave(StoreState& state, WriteTxn& txn, uint32_t ws, const Document& doc) {
  return txn.Put(state.local_saves, WinnerKey(ws, doc.path), U64(static_cast<uint64_t>(doc.timestamp)) + doc.author);
}

// ---- LocalState: reading and expiring versions ----

Result<std::vector<LocalVersion>> LocalState::Versions(const std::string& workspace, const std::string& path) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const std::string prefix = VersionPrefix(*ws, path);
  std::vector<LocalVersion> out;
  Cursor c(*txn, state_.versions);
  for (bool ok = c.Seek(prefix); ok && c.key().starts_with(prefix); ok = c.Next()) {
    const std::string_view rest = c.key().substr(prefix.size());
    int64_t kept_at = 0;
    size_t content_at = 0;
    if (rest.size() < 8 || !DecodeVersionHead(c.value(), path, &kept_at, &content_at)) continue;
    LocalVersion v;
    v.timestamp = static_cast<int64_t>(ReadU64(rest));
    v.author = std::string(rest.substr(8));
    v.kept_at = kept_at;
    v.content_bytes = c.value().size() - content_at;
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::optional<LocalVersion>> LocalState::Version(const std::string& workspace, const std::string& path,
                                                        int64_t timestamp, const std::string& author) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  auto value = txn->Get(state_.versions, VersionKey(*ws, path, timestamp, author));
  LocalVersion v;
  size_t content_at = 0;
  if (!value.ok() || !DecodeVersionHead(*value, path, &v.kept_at, &content_at)) {
    return std::optional<LocalVersion>();
  }
  v.author = author;
  v.timestamp = timestamp;
  v.content = std::string(value->substr(content_at));
  v.content_bytes = v.content.size();
  return std::optional<LocalVersion>(std::move(v));
}

Result<VersionsConfig> LocalState::GetVersionsConfig() const {
  VersionsConfig config;
  auto days = GetValue("versions.keep_days");
  if (!days.ok()) return days.status();
  if (days->has_value() && (*days)->is_number_integer() && (*days)->get<int64_t>() >= 0) {
    config.keep_days = (*days)->get<int64_t>();
  }
  auto bytes = GetValue("versions.max_bytes");
  if (!bytes.ok()) return bytes.status();
  if (bytes->has_value() && (*bytes)->is_number_unsigned()) config.max_bytes = (*bytes)->get<uint64_t>();
  return config;
}

Result<size_t> LocalState::SweepVersions() {
  auto config = GetVersionsConfig();
  if (!config.ok()) return config.status();
  StoreState& state = state_;
  size_t removed = 0;
  Status written = state.env->Write([&](WriteTxn& txn) -> Status {
    removed = 0;
    const int64_t cutoff = state.Now() - config->keep_days * kMicrosPerDay;
    struct Kept {
      std::string age_key;
      uint64_t bytes;
    };
    std::vector<std::string> doomed;  // versions_age keys; the version too if it matches
    std::vector<Kept> kept;           // oldest first
    uint64_t total = 0;
    {
      Cursor c(txn, state.versions_age);
      for (bool ok = c.First(); ok; ok = c.Next()) {
        if (c.key().size() < 8 || c.value().size() != 8) continue;
        const int64_t kept_at = static_cast<int64_t>(ReadU64(c.key()));
        if (kept_at < cutoff) {
          doomed.emplace_back(c.key());
        } else {
          kept.push_back({std::string(c.key()), ReadU64(c.value())});
          total += kept.back().bytes;
        }
      }
    }
    for (size_t i = 0; i < kept.size() && total > config->max_bytes; ++i) {
      doomed.push_back(kept[i].age_key);
      total -= kept[i].bytes;
    }
    for (const std::string& age_key : doomed) {
      if (Status s = txn.Del(state.versions_age, age_key); !s.ok()) return s;
      // The version itself, unless it was kept again later (a newer
      // versions_age entry then owns it).
      const std::string key = age_key.substr(8);
      auto value = txn.Get(state.versions, key);
      if (!value.ok() || value->size() < 8 || ReadU64(*value) != ReadU64(age_key)) continue;
      if (Status s = txn.Del(state.versions, key); !s.ok()) return s;
      ++removed;
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return removed;
}

Result<uint64_t> LocalState::ConflictCount(const std::string& workspace) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto count = txn->Get(state_.meta, ConflictKey(workspace));
  return count.ok() ? ParseCount(*count) : uint64_t{0};
}

}  // namespace esfs::core
