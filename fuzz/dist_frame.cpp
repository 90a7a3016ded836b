// dist_frame: the connected-state receiver (4-byte framing, 'p' / 'D' with atom cache / 'E'+'F'
// fragments, control messages, payload terms). The first byte picks the header mode, then the
// stream arrives in chunks chosen by the input. Invariants: put() never consumes more than it was
// given; after an error the receiver stays failed; every message received, written again by a
// ConnectionSender of the same mode, is received by a fresh receiver as an equal message; and a
// receiver that puts every control message through the tape (usual_control_path = false) consumes
// the same bytes, gives the same events and fails with the same error at the same offset.
#include <algorithm>
#include <cstdint>
#include <memory>

#include "distspec/proto/connection.hpp"
#include "support/fuzz_check.hpp"
#include "support/input_reader.hpp"

using namespace distspec;

namespace {
void check_resend(const proto::HeaderMode& mode, const proto::MessageEvent& event) {
  proto::SenderOptions sender_options;
  sender_options.mode = mode;
  proto::ConnectionSender sender(sender_options);
  std::vector<std::uint8_t> bytes;
  sender.write(bytes, event.message);
  proto::ReceiverOptions options;
  options.mode = mode;
  proto::ConnectionReceiver receiver(options);
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto used = receiver.put(std::span(bytes).subspan(at));
    FUZZ_CHECK(used.ok());
    at += used.value();
    if (auto e = receiver.take()) {
      auto* again = std::get_if<proto::MessageEvent>(&*e);
      FUZZ_CHECK(again && again->message == event.message);
      FUZZ_CHECK(at == bytes.size());
      return;
    }
    FUZZ_CHECK(used.value() > 0);
  }
  FUZZ_CHECK(!"the re-sent message produced no event");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputReader in(data, size);
  const std::uint8_t mode_bits = in.byte();
  proto::ReceiverOptions options;
  options.mode = proto::HeaderMode{(mode_bits & 1) != 0, (mode_bits & 2) != 0};
  proto::ConnectionReceiver receiver(options);
  proto::ReceiverOptions tape_options = options;
  tape_options.usual_control_path = false;
  proto::ConnectionReceiver tape_receiver(tape_options);
  bool failed = false;
  while (!in.empty()) {
    const std::size_t n = 1 + in.byte() % 128;
    auto chunk = in.take(n);
    std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[chunk.size()]);
    std::copy(chunk.begin(), chunk.end(), exact.get());
    std::size_t at = 0;
    while (at < chunk.size()) {
      auto used = receiver.put({exact.get() + at, chunk.size() - at});
      auto tape_used = tape_receiver.put({exact.get() + at, chunk.size() - at});
      FUZZ_CHECK(used.ok() == tape_used.ok());
      if (!used.ok()) {
        FUZZ_CHECK(used.error().code == tape_used.error().code && used.error().offset == tape_used.error().offset &&
                   used.error().detail == tape_used.error().detail);
        failed = true;
        break;
      }
      FUZZ_CHECK(!failed && used.value() <= chunk.size() - at);
      FUZZ_CHECK(used.value() == tape_used.value());
      at += used.value();
      auto event = receiver.take();
      auto tape_event = tape_receiver.take();
      FUZZ_CHECK(event.has_value() == tape_event.has_value());
      if (event) FUZZ_CHECK(*event == *tape_event);
      if (event) {
        if (auto* message = std::get_if<proto::MessageEvent>(&*event)) check_resend(options.mode, *message);
      } else {
        FUZZ_CHECK(at == chunk.size());  // no event: put() must have used everything
      }
    }
    if (failed) break;
  }
  if (failed) {
    const std::uint8_t tick[4] = {0, 0, 0, 0};
    FUZZ_CHECK(!receiver.put(tick).ok());
  }
  return 0;
}
