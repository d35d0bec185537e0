// The pub's HTML page (pub/page.h).
#include "pub/page.h"

#include <ctime>

#include "core/printable.h"

namespace esfs::pub {
namespace {

std::string IsoTime(int64_t micros) {
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left;border-bottom:1px solid #ddd}"
    "code{font-size:90%}.n{text-align:right}";

}  // namespace

std::string HtmlEscape(std::string_view text, size_t max_bytes) {
  const std::string safe = core::Printable(text, max_bytes);
  std::string out;
  out.reserve(safe.size());
  for (char c : safe) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderPage(const PageData& data) {
  uint64_t total = 0;
  for (const auto& w : data.workspaces) total += w.documents;
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>esfs pub</title><style>";
  h += kStyle;
  h += "</style></head><body>\n<h1>esfs pub</h1>\n<p>An Earthstar pub (es.4) run by <b>esfs ";
  h += HtmlEscape(data.version);
  h += "</b>. It speaks the reference pub's HTTP API (<code>/earthstar-api/v1/</code>) and esfs's incremental "
       "extension (<code>/earthstar-api/esfs/v1/</code>).</p>\n<p id=\"summary\">";
  h += std::to_string(data.workspaces.size()) + " workspaces, " + std::to_string(total) + " documents.";
  if (data.readonly) h += " This pub is <b>read-only</b>.";
  if (data.closed) h += " This pub is <b>closed</b>: it serves only the workspaces below.";
  h +=
      "</p>\n<h2>Workspaces</h2>\n<table id=\"workspaces\"><tr><th>workspace</th><th class=\"n\">documents</th></tr>\n";
  for (const auto& w : data.workspaces) {
    h += "<tr><td class=\"ws\"><code>" + HtmlEscape(w.address) + "</code></td><td class=\"n count\">" +
         std::to_string(w.documents) + "</td></tr>\n";
  }
  h += "</table>\n";
  for (const auto& w : data.workspaces) {
    if (w.recent.empty()) continue;
    h += "<h3>Recent in <code>" + HtmlEscape(w.address) +
         "</code></h3>\n<table class=\"recent\">"
         "<tr><th>path</th><th>author</th><th>time</th><th>content</th></tr>\n";
    for (const auto& d : w.recent) {
      h += "<tr><td><code>" + HtmlEscape(d.path) + "</code></td><td><code>" + HtmlEscape(d.author, 64) +
           "</code></td><td>" + IsoTime(d.timestamp) + "</td><td>" +
           (d.content.empty() ? std::string("<i>(deleted)</i>") : HtmlEscape(d.content, 80)) + "</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "<h2>Peers</h2>\n";
  if (data.peers.empty()) h += "<p>No peers: this pub replicates with no other pub.</p>\n";
  else {
    h += "<ul id=\"peers\">\n";
    for (const auto& p : data.peers) h += "<li><code>" + HtmlEscape(p) + "</code></li>\n";
    h += "</ul>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace esfs::pub
