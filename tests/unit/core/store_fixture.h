// The fixture of the store's unit tests: a fresh store in a temp folder
// with one workspace (kWs), a fixed clock at kNow and two identities.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "core/clock.h"
#include "core/store.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::core {

class StoreFixture : public ::testing::Test {
 public:
  static constexpr int64_t kNow = 1767229200000000;
  static constexpr const char* kWs = "+gardening.friends";

 protected:
  void SetUp() override {
    store_ = testing::OpenStoreWith(dir_.path() + "/data", kWs, &clock_);
    ASSERT_NE(store_, nullptr);
  }

  testing::TempDir dir_;
  FixedClock clock_{kNow};
  std::unique_ptr<Store> store_;
  keys::Identity suzy_ = testing::MakeIdentity("suzy", 1);
  keys::Identity matt_ = testing::MakeIdentity("matt", 2);
};

}  // namespace esfs::core
