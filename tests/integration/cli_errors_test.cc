// The rough edges a new user hits, each with its message and exit status
// (issue #21, item 3 and item 5): sync with no pubs, read commands on a
// folder with no store, get by the name the mount shows, status wording,
// workspace edit/remove-pub, --log-level/--log-file of sync.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

class CliErrors : public ::testing::Test {
 protected:
  RunResult Esfs(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {EsfsBinary(), "--data", data, "--key", key});
    return RunProgram(args, input, 60);
  }
  void AddWorkspace() {
    ASSERT_EQ(Esfs({"keygen", "suzy"}).exit_code, 0);
    ASSERT_EQ(Esfs({"workspace", "add", "+garden.friends"}).exit_code, 0);
  }

  TempDir dir;
  const std::string data = dir.File("data"), key = dir.File("id.json");
};

TEST_F(CliErrors, ReadCommandsOnAFolderWithNoStoreSaySoAndCreateNothing) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"status"},
                                             {"get", "+garden.friends", "/a.txt"},
                                             {"export", "+garden.friends"},
                                             {"workspace", "list"},
                                             {"workspace", "remove-pub", "+garden.friends", "http://x"},
                                             {"sync", "--once"}}) {
    auto r = Esfs(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.err, "esfs " + args[0] + ": there is no store in " + data +
                         " (nothing stored there yet: add a workspace with esfs workspace add, or give the right "
                         "--data)\n");
    EXPECT_FALSE(Exists(data)) << args[0] << " created the data folder";
  }
  // An empty folder stays empty too.
  ASSERT_EQ(mkdir(data.c_str(), 0700), 0);
  EXPECT_EQ(Esfs({"status"}).exit_code, 1);
  EXPECT_EQ(ListDir(data), std::set<std::string>{});
}

TEST_F(CliErrors, SyncWithNoPubsSaysSoAndExits) {
  AddWorkspace();
  for (bool once : {false, true}) {
    std::vector<std::string> args = {"sync"};
    if (once) args.push_back("--once");
    auto r = RunProgram({EsfsBinary(), "--data", data, "--key", key, "sync"}, "", 20);  // it used to wait for ever
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err,
              "esfs sync: no workspace has pubs to sync with; nothing done (add one: esfs workspace edit WS --pub "
              "URL)\n");
  }
  auto one = Esfs({"sync", "+garden.friends"});
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_NE(one.err.find("the workspace has no pubs to sync with"), std::string::npos) << one.err;
}

TEST_F(CliErrors, GetTakesThePathAsTheMountShowsIt) {
  AddWorkspace();
  ASSERT_EQ(Esfs({"put", "+garden.friends", "/my%20notes/caf%C3%A9.txt"}, "coffee").exit_code, 0);
  ASSERT_EQ(Esfs({"put", "+garden.friends", "/plain.txt"}, "plain").exit_code, 0);
  EXPECT_EQ(Esfs({"get", "+garden.friends", "/my notes/café.txt"}).out, "coffee");
  EXPECT_EQ(Esfs({"get", "+garden.friends", "/my%20notes/caf%C3%A9.txt"}).out, "coffee");
  EXPECT_EQ(Esfs({"get", "+garden.friends", "/plain.txt"}).out, "plain");
  auto missing = Esfs({"get", "+garden.friends", "/my notes/tea.txt"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "esfs get: no document at /my notes/tea.txt\n");
}

TEST_F(CliErrors, StatusSaysOneDocumentAndManyDocuments) {
  AddWorkspace();
  ASSERT_EQ(Esfs({"workspace", "edit", "+garden.friends", "--pub", "http://127.0.0.1:9/"}).exit_code, 0);
  ASSERT_EQ(Esfs({"put", "+garden.friends", "/one.txt"}, "1").exit_code, 0);
  auto one = Esfs({"status"});
  EXPECT_NE(one.out.find("+garden.friends: 1 document\n"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find(": 1 document, last wrote"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("last sync never, 1 pending push\n"), std::string::npos) << one.out;
  ASSERT_EQ(Esfs({"put", "+garden.friends", "/two.txt"}, "2").exit_code, 0);
  auto two = Esfs({"status"});
  EXPECT_NE(two.out.find("+garden.friends: 2 documents\n"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find("2 pending pushes\n"), std::string::npos) << two.out;
  // Documents that came from elsewhere (another author's, as a pull brings
  // them; here imported) are not pending pushes of ours.
  auto other = RunProgram({EsfsBinary(), "--key", dir.File("other.json"), "keygen", "matt"});
  ASSERT_EQ(other.exit_code, 0);
  auto signed_doc = RunProgram({EsfsBinary(), "sign", "--keypair", dir.File("other.json"), "--workspace",
                                "+garden.friends", "--path", "/theirs.txt", "--content", "from a pub"});
  ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc.err;
  WriteFile(dir.File("theirs.json"), "[" + signed_doc.out + "]");
  ASSERT_EQ(Esfs({"import", "+garden.friends", dir.File("theirs.json")}).exit_code, 0);
  auto three = Esfs({"status"});
  EXPECT_NE(three.out.find("+garden.friends: 3 documents\n"), std::string::npos) << three.out;
  EXPECT_NE(three.out.find("2 pending pushes\n"), std::string::npos) << three.out;
  auto list = Esfs({"workspace", "list"});
  EXPECT_NE(list.out.find("+garden.friends\t3 documents\thttp://127.0.0.1:9/"), std::string::npos) << list.out;
}

TEST_F(CliErrors, WorkspaceEditAndRemovePubChangeTheConfig) {
  AddWorkspace();
  auto config = [&] { return core::OrderedJson::parse(Esfs({"workspace", "list", "--json"}).out)[0]["config"]; };
  ASSERT_EQ(Esfs({"workspace", "edit", "+garden.friends", "--pub", "http://a.test/", "--pub", "http://b.test/",
                  "--only", "/wiki/"})
                .exit_code,
            0);
  EXPECT_EQ(config()["pubs"].size(), 2u);
  EXPECT_EQ(config()["only"], core::OrderedJson::array({"/wiki/"}));
  auto removed = Esfs({"workspace", "remove-pub", "+garden.friends", "http://a.test/"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.err, "esfs: workspace +garden.friends is in the store (1 pub, syncing only /wiki/)\n");
  EXPECT_EQ(config()["pubs"], core::OrderedJson::array({"http://b.test/"}));
  auto again = Esfs({"workspace", "remove-pub", "+garden.friends", "http://a.test/"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "esfs workspace: http://a.test/ is not a pub of this workspace\n");
  ASSERT_EQ(Esfs({"workspace", "edit", "+garden.friends", "--only", "/chat/", "--only", "/blog/"}).exit_code, 0);
  EXPECT_EQ(config()["only"], core::OrderedJson::array({"/chat/", "/blog/"}));
  ASSERT_EQ(Esfs({"workspace", "edit", "+garden.friends", "--all-paths"}).exit_code, 0);
  EXPECT_FALSE(config().contains("only"));
  auto unknown = Esfs({"workspace", "edit", "+nothere.ws", "--all-paths"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "esfs workspace: workspace +nothere.ws is not in this store\n");
  auto both = Esfs({"workspace", "edit", "+garden.friends", "--all-paths", "--only", "/x/"});
  EXPECT_EQ(both.exit_code, 2);
}

TEST_F(CliErrors, LogOptionsAreCheckedForSyncAndMount) {
  AddWorkspace();
  ASSERT_EQ(Esfs({"workspace", "edit", "+garden.friends", "--pub", "http://127.0.0.1:9/"}).exit_code, 0);
  for (const char* command : {"sync", "mount"}) {
    auto bad_level = Esfs({command, "--log-level", "loud", dir.File("mnt")});
    EXPECT_EQ(bad_level.exit_code, 2) << command;
    EXPECT_EQ(bad_level.err, std::string("esfs ") + command +
                                 ": --log-level must be error, warn, info or debug, not \"loud\" (see: esfs " +
                                 command + " --help)\n");
  }
}

}  // namespace
}  // namespace esfs::testing
