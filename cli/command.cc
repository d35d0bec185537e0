#include "cli/command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "core/printable.h"

namespace esfs::cli {
namespace {

// Messages name paths, workspaces, URLs and file names from outside; the
// one place every message passes makes them safe for a terminal (one line,
// no control byte), whatever the caller forgot.
constexpr size_t kMessageMax = 4096;
std::string Safe(const std::string& message) { return core::Printable(message, kMessageMax); }

}  // namespace

int UsageError(const std::string& command, const std::string& message) {
  std::cerr << "esfs " << command << ": " << Safe(message) << " (see: esfs " << command << " --help)\n";
  return kExitUsage;
}

int Failure(const std::string& command, const std::string& message) {
  std::cerr << "esfs " << command << ": " << Safe(message) << "\n";
  return kExitFailure;
}

void Warn(const std::string& message) { std::cerr << "esfs: warning: " << Safe(message) << "\n"; }

Result<std::unique_ptr<core::Store>> OpenExistingStore(const GlobalOptions& global) {
  struct stat st;
  if (stat((global.data_dir + "/store/data.mdb").c_str(), &st) != 0) {
    return Status::NotFound("there is no store in " + global.data_dir +
                            " (nothing stored there yet: add a workspace with esfs workspace add, or give the "
                            "right --data)");
  }
  return core::Store::Open({global.data_dir});
}

Result<std::string> ReadInput(const std::string& file) {
  if (file == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IoError(file + ": " + std::strerror(errno));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError(file + ": read error");
  return data;
}

Result<std::vector<core::OrderedJson>> ReadDocumentList(const std::string& file) {
  auto text = ReadInput(file);
  if (!text.ok()) return text.status();
  auto json = core::ParseJson(*text);
  if (!json.ok()) return json.status().WithContext(file == "-" ? "stdin" : file);
  if (json->is_object() && json->contains("docs") && (*json)["docs"].is_array()) {
    return core::SplitDocumentList((*json)["docs"]);
  }
  return core::SplitDocumentList(*json);
}

void PrintJson(const core::OrderedJson& json) {
  // Replace rather than throw on invalid UTF-8: nothing we print comes from
  // outside unchecked, but a crash is never the right answer.
  std::cout << json.dump(2, ' ', false, core::OrderedJson::error_handler_t::replace) << "\n";
}

}  // namespace esfs::cli
