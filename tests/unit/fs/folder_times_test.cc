// FolderTimes (fs/folder_times.h): when each folder's entries last changed.
#include "fs/folder_times.h"

#include <gtest/gtest.h>

namespace esfs::fs {
namespace {

Location Folder(const std::string& ws, std::vector<std::string> parts) {
  Location loc;
  loc.ws = ws;
  loc.segs = parts;
  loc.parts = std::move(parts);
  return loc;
}

TEST(FolderTimes, KeepsTheLatestTimePerFolderAndForgets) {
  FolderTimes times;
  const Location a = Folder("+ws.a", {"a"});
  EXPECT_FALSE(times.Get(a).has_value());
  times.Touch(a, 200);
  times.Touch(a, 100);  // earlier: ignored
  EXPECT_EQ(times.Get(a), 200);
  // Another workspace, the workspace root, a deeper folder: separate.
  EXPECT_FALSE(times.Get(Folder("+ws.b", {"a"})).has_value());
  EXPECT_FALSE(times.Get(Folder("+ws.a", {})).has_value());
  EXPECT_FALSE(times.Get(Folder("+ws.a", {"a", "b"})).has_value());
  times.Forget(a);
  EXPECT_FALSE(times.Get(a).has_value());
  EXPECT_EQ(times.size(), 0u);
}

TEST(FolderTimes, MoveTreeTakesTheFolderAndEverythingBelowAndReplacesTheTarget) {
  FolderTimes times;
  times.Touch(Folder("+ws.a", {"a"}), 1);
  times.Touch(Folder("+ws.a", {"a", "b"}), 2);
  times.Touch(Folder("+ws.a", {"ab"}), 3);        // shares a prefix of the name only
  times.Touch(Folder("+ws.a", {"z", "old"}), 4);  // below the target: replaced
  times.Touch(Folder("+ws.b", {"a"}), 5);         // another workspace
  times.MoveTree(Folder("+ws.a", {"a"}), Folder("+ws.a", {"z"}));
  EXPECT_FALSE(times.Get(Folder("+ws.a", {"a"})).has_value());
  EXPECT_FALSE(times.Get(Folder("+ws.a", {"a", "b"})).has_value());
  EXPECT_EQ(times.Get(Folder("+ws.a", {"z"})), 1);
  EXPECT_EQ(times.Get(Folder("+ws.a", {"z", "b"})), 2);
  EXPECT_FALSE(times.Get(Folder("+ws.a", {"z", "old"})).has_value());
  EXPECT_EQ(times.Get(Folder("+ws.a", {"ab"})), 3);
  EXPECT_EQ(times.Get(Folder("+ws.b", {"a"})), 5);
  EXPECT_EQ(times.size(), 4u);
}

}  // namespace
}  // namespace esfs::fs
