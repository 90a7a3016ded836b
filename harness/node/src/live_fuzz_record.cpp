#include "live_fuzz_record.hpp"

#include <filesystem>
#include <fstream>

#include "distspec/node/corpus.hpp"

namespace distspec::node::livefuzz {

namespace fs = std::filesystem;

std::string save_record(const std::string& dir, std::span<const std::uint8_t> bytes,
                        const nlohmann::json& record) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const auto base = fs::path(dir) / content_hash_name(bytes);
  auto bin = base;
  bin += ".bin";
  if (!fs::exists(bin, ec)) {
    std::ofstream out(bin, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  auto json = base;
  json += ".json";
  std::ofstream out(json);
  // Details may quote a peer's bytes: invalid UTF-8 is replaced rather than thrown on.
  out << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return out ? json.string() : std::string();
}

}  // namespace distspec::node::livefuzz
