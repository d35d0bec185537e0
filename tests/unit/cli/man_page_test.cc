// man/esfs.1 cannot drift from the program: every command, every option a
// command's --help shows, every global option and every -o option of
// mount is in the man page.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "cli/command.h"
#include "tests/support/test_support.h"

namespace esfs::cli {
namespace {

// The man page as plain words: roff's "\-" is "-".
std::string ManText() {
  std::string text = esfs::testing::ReadFile(esfs::testing::SourceDir() + "/man/esfs.1");
  std::string plain;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '-') {
      plain += '-';
      ++i;
    } else {
      plain += text[i];
    }
  }
  return plain;
}

std::vector<Command> All() {
  std::vector<Command> all;
  for (auto part : {KeyCommands(), DocumentCommands(), StoreCommands(), MountCommands(), SyncCommands()}) {
    for (auto& c : part) all.push_back(std::move(c));
  }
  return all;
}

TEST(ManPage, HasEveryCommandAndEveryOptionOfItsHelp) {
  const std::string man = ManText();
  ASSERT_FALSE(man.empty());
  const std::vector<Command> all = All();
  ASSERT_GE(all.size(), 13u);
  size_t options_checked = 0;
  for (const auto& command : all) {
    EXPECT_NE(man.find(".SS " + command.name), std::string::npos) << "no section for command " << command.name;
    // Every option the help text names (--help shows what users can type).
    const std::regex option("--[a-z][a-z-]*");
    std::set<std::string> in_help;
    for (auto it = std::sregex_iterator(command.help.begin(), command.help.end(), option); it != std::sregex_iterator();
         ++it) {
      in_help.insert(it->str());
    }
    for (const auto& spec : command.options) {
      if (spec.name == "ready-fd") continue;  // for tests only, not in --help
      EXPECT_TRUE(in_help.count("--" + spec.name)) << command.name << ": --" << spec.name << " missing from --help";
    }
    for (const auto& word : in_help) {
      ++options_checked;
      EXPECT_NE(man.find(word), std::string::npos) << command.name << ": " << word << " missing from man/esfs.1";
    }
  }
  EXPECT_GE(options_checked, 30u);
  for (const char* global : {"--data", "--key", "--version", "--help"}) {
    EXPECT_NE(man.find(global), std::string::npos) << global;
  }
  // mount's -o options of its own, as --help lists them.
  for (const char* o : {"key=", "workspace=", "log_level=", "log_file=", "ephemeral_lifetime=", "ro", "allow_other",
                        "auto_unmount", "nonempty", "_netdev", "noauto"}) {
    EXPECT_NE(man.find(o), std::string::npos) << "-o " << o;
  }
}

}  // namespace
}  // namespace esfs::cli
