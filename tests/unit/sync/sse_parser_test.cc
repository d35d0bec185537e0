#include <gtest/gtest.h>

#include "sync/pub_client.h"

namespace esfs::sync {
namespace {

std::vector<std::string> FeedInPieces(const std::string& text, size_t piece) {
  SseParser parser;
  std::vector<std::string> events;
  for (size_t i = 0; i < text.size(); i += piece) {
    parser.Feed(std::string_view(text).substr(i, piece), [&](const std::string& e) { events.push_back(e); });
  }
  return events;
}

TEST(SseParser, ThePubsStreamInAnyChunking) {
  // What earthstar-pub sends: a newline, a keep-alive, a comment, documents.
  const std::string stream = "\ndata: KEEPALIVE\n\n:\n\ndata: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\n:\n\n";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{7}, stream.size()}) {
    EXPECT_EQ(FeedInPieces(stream, piece), (std::vector<std::string>{"KEEPALIVE", "{\"a\":1}", "{\"b\":2}"})) << piece;
  }
}

TEST(SseParser, MultiLineDataAndIncompleteEvents) {
  SseParser parser;
  std::vector<std::string> events;
  auto sink = [&](const std::string& e) { events.push_back(e); };
  parser.Feed("data: one\ndata: two\n\ndata: unfinished", sink);
  EXPECT_EQ(events, (std::vector<std::string>{"one\ntwo"}));
  parser.Feed("\n\n", sink);
  EXPECT_EQ(events.back(), "unfinished");
}

}  // namespace
}  // namespace esfs::sync
