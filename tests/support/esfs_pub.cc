#include "tests/support/esfs_pub.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include <gtest/gtest.h>
#include <httplib.h>

namespace esfs::testing {

EsfsPub::EsfsPub(std::vector<std::string> extra, const std::string& data_dir)
    : data_dir_(data_dir.empty() ? dir_.File("data") : data_dir), log_(dir_.File("pub.log")) {
  std::vector<std::string> argv = {EsfsBinary(), "pub", "--host", "127.0.0.1", "--data", data_dir_};
  if (std::find(extra.begin(), extra.end(), "--port") == extra.end()) argv.insert(argv.end(), {"--port", "0"});
  for (auto& e : extra) argv.push_back(std::move(e));
  pid_ = fork();
  if (pid_ == 0) {
    const int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    dup2(log, 1);
    dup2(log, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const std::regex listening(R"(listening on http://127\.0\.0\.1:([0-9]+))");
  std::smatch m;
  Eventually(
      [&] {
        const std::string out = ReadFile(log_);
        if (!std::regex_search(out, m, listening)) return WaitForChild(pid_, std::chrono::milliseconds(0)).has_value();
        port_ = std::stoi(m[1]);
        return true;
      },
      20);
  if (port_ > 0) url_ = "http://127.0.0.1:" + std::to_string(port_);
  EXPECT_GT(port_, 0) << "esfs pub did not start: " << ReadFile(log_);
}

int EsfsPub::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  auto status = WaitForChild(pid_, std::chrono::seconds(10));
  if (!status) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

void EsfsPub::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

EsfsPub::~EsfsPub() { Stop(); }

std::vector<core::Document> SignedDocs(const keys::Identity& author, const std::string& workspace,
                                       const std::string& prefix, size_t count, size_t content_bytes) {
  std::vector<core::Document> docs;
  const int64_t now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (size_t i = 0; i < count; ++i) {
    core::Document doc;
    doc.workspace = workspace;
    doc.path = "/test/" + prefix + std::to_string(i) + ".txt";
    doc.content = std::string(content_bytes, static_cast<char>('a' + i % 26));
    doc.timestamp = now + static_cast<int64_t>(i);
    author.Sign(doc);
    docs.push_back(std::move(doc));
  }
  return docs;
}

std::string DocsJson(const std::vector<core::Document>& docs) {
  std::string out = "[";
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i > 0) out += ",";
    out += core::DocumentToJson(docs[i]).dump();
  }
  return out + "]";
}

namespace {
HttpReply ToReply(const httplib::Result& r) {
  HttpReply reply;
  if (!r) return reply;
  reply.status = r->status;
  reply.body = r->body;
  reply.content_type = r->get_header_value("Content-Type");
  return reply;
}
}  // namespace

HttpReply HttpGetText(const std::string& url, const std::string& path, int timeout_s) {
  httplib::Client client(url);
  client.set_read_timeout(timeout_s, 0);
  return ToReply(client.Get(path));
}

HttpReply HttpPostText(const std::string& url, const std::string& path, const std::string& body,
                       const std::string& content_type, int timeout_s) {
  httplib::Client client(url);
  client.set_read_timeout(timeout_s, 0);
  client.set_write_timeout(timeout_s, 0);
  return ToReply(client.Post(path, body, content_type));
}

}  // namespace esfs::testing
