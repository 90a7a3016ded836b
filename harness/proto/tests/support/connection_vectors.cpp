#include "support/connection_vectors.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "distspec/proto/handshake_messages.hpp"
#include "support/pcapng.hpp"

namespace distspec::proto::testing {

namespace {

using Bytes = std::vector<std::uint8_t>;

// The 2-byte-framed handshake messages at the start of `bytes`, up to and including the first
// one whose tag is `last_tag`; returns their payloads and sets `end` past them.
std::optional<std::vector<Bytes>> handshake_messages(const Bytes& bytes, std::uint8_t last_tag,
                                                     std::size_t& end) {
  std::vector<Bytes> messages;
  std::size_t at = 0;
  while (at + 2 <= bytes.size()) {
    std::size_t len = (std::size_t(bytes[at]) << 8) | bytes[at + 1];
    if (len == 0 || at + 2 + len > bytes.size()) return std::nullopt;
    messages.emplace_back(bytes.begin() + at + 2, bytes.begin() + at + 2 + len);
    at += 2 + len;
    if (messages.back()[0] == last_tag) {
      end = at;
      return messages;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<ConnectedDirection> connected_directions_from_captures() {
  std::vector<ConnectedDirection> out;
  std::filesystem::path dir = std::filesystem::path(DISTSPEC_SHARED_DIR) / "vectors" / "captures";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".pcapng") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no captures in " + dir.string());
  for (const auto& file : files) {
    auto capture = test::pcapng::read_file(file.string());
    int index = 0;
    for (const auto& stream : capture.streams) {
      std::size_t client_end = 0, server_end = 0;
      auto client = handshake_messages(stream.client_to_server, 'r', client_end);
      auto server = handshake_messages(stream.server_to_client, 'a', server_end);
      if (!client || !server || client->empty()) continue;
      auto send_name = parse_send_name(client->front());
      if (!send_name) continue;
      std::optional<Challenge> challenge;
      for (const auto& m : *server)
        if (auto c = parse_challenge(m)) challenge = c.value();
      if (!challenge) continue;
      DistFlags flags = effective_flags(send_name->flags, challenge->flags);
      HeaderMode mode = header_mode_from_flags(flags);
      std::string base = file.stem().string() + "#" + std::to_string(index++) + " ";
      out.push_back({base + send_name->name + " -> " + challenge->name, mode,
                     Bytes(stream.client_to_server.begin() + client_end,
                           stream.client_to_server.end())});
      out.push_back({base + challenge->name + " -> " + send_name->name, mode,
                     Bytes(stream.server_to_client.begin() + server_end,
                           stream.server_to_client.end())});
    }
  }
  return out;
}

}  // namespace distspec::proto::testing
