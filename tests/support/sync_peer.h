// For the sync tests: a store in a folder with one workspace synced with
// one pub, an identity, and a syncer whose log lines are kept for the test
// to read (the syncer's threads write them while the test reads).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/store.h"
#include "keys/identity.h"
#include "sync/syncer.h"
#include "tests/support/test_support.h"

namespace esfs::testing {

class SyncPeer {
 public:
  SyncPeer(const std::string& dir, const std::string& workspace, const std::string& pub, const char* name, uint8_t seed,
           sync::HttpOptions http, sync::BackoffPolicy backoff = {})
      : identity(MakeIdentity(name, seed)), workspace_(workspace) {
    store = std::move(core::Store::Open({dir}).value());
    EXPECT_TRUE(store->workspaces().Add(workspace, {{"pubs", {pub}}}).ok());
    syncer = std::make_unique<sync::Syncer>(*store, Logger(), std::move(http), backoff);
  }
  ~SyncPeer() { syncer.reset(); }  // stops the threads before the store goes
  SyncPeer(const SyncPeer&) = delete;
  SyncPeer& operator=(const SyncPeer&) = delete;

  // A log function for this peer (also for extra syncers on its store).
  sync::SyncLog Logger() {
    return [this](const std::string& line) {
      std::scoped_lock lock(mu_);
      log_ += line + "\n";
    };
  }
  std::string Logged() const {
    std::scoped_lock lock(mu_);
    return log_;
  }
  // The winner's content at |path|, or "<none>".
  std::string Content(const std::string& path) const {
    auto w = store->replica().Winner(workspace_, path);
    return w.ok() && w->has_value() ? (*w)->content : "<none>";
  }

  keys::Identity identity;
  std::unique_ptr<core::Store> store;
  std::unique_ptr<sync::Syncer> syncer;

 private:
  std::string workspace_;
  mutable std::mutex mu_;
  std::string log_;
};

}  // namespace esfs::testing
