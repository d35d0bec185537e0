// OwnerGate: only the mount's owner passes; refusals are logged at most
// once a second per uid, with the count of the ones not logged.
#include "fs/owner_gate.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace esfs::fs {
namespace {

class OwnerGateTest : public ::testing::Test {
 protected:
  OwnerGate gate_{1000, [this](const std::string& l) { lines_.push_back(l); }, [this] { return now_; }};
  std::vector<std::string> lines_;
  int64_t now_ = 100;
  int described_ = 0;
  std::function<std::string()> file_ = [this] {
    ++described_;
    return std::string("+ws.x/notes.txt");
  };
};

TEST_F(OwnerGateTest, TheOwnerPassesAndEveryoneElseIsRefusedRootIncluded) {
  EXPECT_TRUE(gate_.Check(1000, "create", file_).ok());
  EXPECT_EQ(gate_.Check(0, "create", file_).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(gate_.Check(1001, "unlink", file_).code(), StatusCode::kPermissionDenied);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[0].find("uid 0"), std::string::npos) << lines_[0];
  EXPECT_NE(lines_[0].find("create"), std::string::npos) << lines_[0];
  EXPECT_NE(lines_[1].find("uid 1001"), std::string::npos) << lines_[1];
  EXPECT_NE(lines_[1].find("unlink of +ws.x/notes.txt"), std::string::npos) << lines_[1];
  EXPECT_EQ(gate_.owner(), 1000u);
}

TEST_F(OwnerGateTest, AtMostOneLineASecondPerUidWithTheCountOfTheRest) {
  for (int i = 0; i < 10000; ++i) EXPECT_FALSE(gate_.Check(1001, "write", file_).ok());
  EXPECT_EQ(lines_.size(), 1u);
  EXPECT_EQ(described_, 1);                              // the file is named only for lines written
  EXPECT_FALSE(gate_.Check(1002, "write", file_).ok());  // another uid has its own second
  EXPECT_EQ(lines_.size(), 2u);
  now_ += 1;
  EXPECT_FALSE(gate_.Check(1001, "write", file_).ok());
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_NE(lines_[2].find("9999 more"), std::string::npos) << lines_[2];
}

TEST_F(OwnerGateTest, ManyUidsAreBoundedAndStillRefused) {
  for (uid_t uid = 2000; uid < 2000 + 3 * OwnerGate::kMaxTrackedUids; ++uid) {
    EXPECT_EQ(gate_.Check(uid, "mkdir", file_).code(), StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(lines_.size(), OwnerGate::kMaxTrackedUids);  // the rest wait for the next second
  now_ += 1;
  EXPECT_FALSE(gate_.Check(9999, "mkdir", file_).ok());
  EXPECT_EQ(lines_.size(), OwnerGate::kMaxTrackedUids + 1);
}

}  // namespace
}  // namespace esfs::fs
