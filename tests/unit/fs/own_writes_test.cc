// OwnWrites (fs/own_writes.h): how the live view's replay tells this
// mount's own commits from changes made outside it.
#include "fs/own_writes.h"

#include <gtest/gtest.h>

#include <string>

namespace esfs::fs {
namespace {

using Verdict = OwnWrites::Verdict;

TEST(OwnWrites, AWriteUnderWayIsPendingThenOursOnceThenNotOurs) {
  OwnWrites own;
  EXPECT_EQ(own.Check("+ws.a", "/x", "sig1"), Verdict::kNotOurs);
  own.Begin("+ws.a", "/x");
  // The feed may see the commit before Publish returns: wait for it.
  EXPECT_EQ(own.Check("+ws.a", "/x", "sig1"), Verdict::kPending);
  EXPECT_EQ(own.Check("+ws.a", "/y", "sig1"), Verdict::kNotOurs);  // another path
  own.End("+ws.a", "/x", "sig1");
  EXPECT_EQ(own.Check("+ws.a", "/x", "sig1"), Verdict::kOurs);
  EXPECT_EQ(own.Check("+ws.a", "/x", "sig1"), Verdict::kNotOurs);  // reported once
  EXPECT_EQ(own.Check("+ws.a", "/x", "sig-of-a-peer"), Verdict::kNotOurs);
}

TEST(OwnWrites, AFailedWriteRecordsNothingAndOverlappingWritesStayPending) {
  OwnWrites own;
  own.Begin("+ws.a", "/x");
  own.Begin("+ws.a", "/x");
  own.End("+ws.a", "/x", "");  // failed
  EXPECT_EQ(own.Check("+ws.a", "/x", "sig"), Verdict::kPending);
  own.End("+ws.a", "/x", "sig");
  EXPECT_EQ(own.remembered(), 1u);
  EXPECT_EQ(own.Check("+ws.a", "/x", "other"), Verdict::kNotOurs);
}

TEST(OwnWrites, RemembersABoundedNumberOldestFirst) {
  OwnWrites own;
  const size_t n = OwnWrites::kMaxRemembered + 10;
  for (size_t i = 0; i < n; ++i) {
    own.Begin("+ws.a", "/p");
    own.End("+ws.a", "/p", "sig" + std::to_string(i));
  }
  EXPECT_EQ(own.remembered(), OwnWrites::kMaxRemembered);
  EXPECT_EQ(own.Check("+ws.a", "/p", "sig0"), Verdict::kNotOurs);  // forgotten: one surplus event at most
  EXPECT_EQ(own.Check("+ws.a", "/p", "sig" + std::to_string(n - 1)), Verdict::kOurs);
}

}  // namespace
}  // namespace esfs::fs
