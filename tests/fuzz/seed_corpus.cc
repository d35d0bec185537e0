// Seed corpus generator for the fuzz targets (scripts/fuzz.sh runs it).
//
//   fuzz_seed_corpus DOC_DIR ADDR_DIR VECTORS.json...
//
// Walks the shared test vectors and writes one file per distinct seed:
//   DOC_DIR   every "doc" value (compact JSON, whatever its type), every
//             object that looks like a document (has "format" and
//             "signature"), every "docs" array as one list, and every
//             "rawJson" string byte for byte: inputs for fuzz_document.
//   ADDR_DIR  selector byte + string for fuzz_address_path: author/address
//             (0), workspace (1), path (2), "author\npath" (3), base32 texts
//             (4), and the bytes of base32 "hex" vectors (5).
// File names are a hash of the contents, so reruns do not add duplicates.
// The vectors are read at run time; copies of them are never committed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

struct Corpus {
  fs::path dir;
  std::set<std::string> seen;

  void Add(const std::string& bytes) {
    if (!seen.insert(bytes).second) return;
    uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
    char name[32];
    std::snprintf(name, sizeof name, "seed-%016llx", static_cast<unsigned long long>(h));
    std::ofstream(dir / name, std::ios::binary) << bytes;
  }
};

std::string Selected(char selector, const std::string& text) { return std::string(1, selector) + text; }

bool FromHex(const std::string& hex, std::string* out) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

void Walk(const Json& value, Corpus& docs, Corpus& addrs) {
  if (value.is_array()) {
    for (const Json& v : value) Walk(v, docs, addrs);
    return;
  }
  if (!value.is_object()) return;
  if (value.contains("format") && value.contains("signature")) docs.Add(value.dump());
  if (value.contains("author") && value.contains("path") && value["author"].is_string() && value["path"].is_string()) {
    addrs.Add(Selected(3, value["author"].get<std::string>() + "\n" + value["path"].get<std::string>()));
  }
  for (const auto& [key, v] : value.items()) {
    if (key == "doc") docs.Add(v.dump());
    if (key == "docs" && v.is_array()) docs.Add(v.dump());
    if (key == "rawJson" && v.is_string()) docs.Add(v.get<std::string>());
    if (v.is_string()) {
      const std::string s = v.get<std::string>();
      if (key == "author" || key == "address") addrs.Add(Selected(0, s));
      if (key == "workspace") addrs.Add(Selected(1, s));
      if (key == "path") addrs.Add(Selected(2, s));
      if (key == "encoded" || key == "secret" || key == "signature" || key == "contentHash" || key == "pubkey") {
        addrs.Add(Selected(4, s));
      }
      std::string bytes;
      if (key == "hex" && FromHex(s, &bytes)) addrs.Add(Selected(5, bytes));
    }
    Walk(v, docs, addrs);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DOC_DIR ADDR_DIR VECTORS.json...\n", argv[0]);
    return 2;
  }
  Corpus docs{argv[1], {}};
  Corpus addrs{argv[2], {}};
  fs::create_directories(docs.dir);
  fs::create_directories(addrs.dir);
  for (int i = 3; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      std::fprintf(stderr, "%s: not JSON, skipped\n", argv[i]);
      continue;
    }
    Walk(json, docs, addrs);
  }
  std::printf("seed corpus: %zu document inputs in %s, %zu address/path inputs in %s\n", docs.seen.size(), argv[1],
              addrs.seen.size(), argv[2]);
  return 0;
}
