// A FileSystem (no FUSE) over a real store in a temp folder, for the unit
// tests of the mount's parts: one workspace, the mount in single-workspace
// mode unless a test asks for all workspaces.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/store.h"
#include "fs/filesystem.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::fs::testing {

inline constexpr const char* kWs = "+garden.friends";
inline constexpr const char* kOtherWs = "+pond.friends";

class FsTest : public ::testing::Test {
 protected:
  explicit FsTest(bool all_workspaces = false) : all_workspaces_(all_workspaces) {}

  void SetUp() override {
    auto opened = core::Store::Open({dir_.path() + "/data"});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened.value());
    ASSERT_TRUE(store_->workspaces().Add(kWs).ok());
    ASSERT_TRUE(store_->workspaces().Add(kOtherWs).ok());
    MountConfig config{dir_.path() + "/data", std::nullopt, [this](const std::string& l) { log_.push_back(l); }};
    if (!all_workspaces_) config.single_workspace = kWs;
    fs_ = std::make_unique<FileSystem>(*store_, identity_, config);
  }

  // The inode of |name| in folder |parent| (looked up once).
  uint64_t Ino(uint64_t parent, const std::string& name) {
    auto attr = fs_->Lookup(parent, name);
    EXPECT_TRUE(attr.ok()) << name << ": " << attr.status().message();
    return attr.ok() ? attr->ino : 0;
  }

  // Creates |name| in |parent| with |content| and closes it (one save).
  Status Save(uint64_t parent, const std::string& name, const std::string& content) {
    auto created = fs_->Create(parent, name, 0644, 0);
    if (!created.ok()) return created.status();
    const uint64_t ino = created->first.ino, fh = created->second;
    if (!content.empty()) {
      auto written = fs_->Write(ino, fh, content, 0);
      if (!written.ok()) return written.status();
    }
    Status flushed = fs_->Flush(ino, fh);
    Status released = fs_->Release(ino, fh);
    return flushed.ok() ? released : flushed;
  }

  std::optional<std::string> Published(const std::string& path, const std::string& ws = kWs) {
    auto winner = store_->replica().Winner(ws, path);
    if (!winner.ok() || !winner->has_value() || (*winner)->content.empty()) return std::nullopt;
    return (*winner)->content;
  }

  esfs::testing::TempDir dir_;
  keys::Identity identity_ = esfs::testing::MakeIdentity("suzy", 7);
  std::unique_ptr<core::Store> store_;
  std::unique_ptr<FileSystem> fs_;
  std::vector<std::string> log_;
  bool all_workspaces_;
};

}  // namespace esfs::fs::testing
