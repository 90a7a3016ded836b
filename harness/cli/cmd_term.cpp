// `distspec term decode|encode`: External Term Format bytes <-> the text form of terms.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/text.hpp"

namespace distspec::cli {
namespace {

constexpr const char* kUsage =
    "usage: distspec term decode [FILE|-]\n"
    "       distspec term encode [TEXT|-] [--compressed[=N]] [--minor-version N] [--latin1]\n"
    "\n"
    "decode  reads one term in the External Term Format (as binary_to_term/1: it starts with\n"
    "        131, trailing bytes are ignored) from FILE or standard input, and prints it as\n"
    "        OTP 25 io:format(\"~w~n\", [T]) does (pids, ports, references and local funs in\n"
    "        the forms of harness/etf/README.md).\n"
    "encode  parses a term in Erlang syntax from TEXT (or standard input when TEXT is - or\n"
    "        absent) and writes term_to_binary(T, Options) to standard output.\n"
    "  --compressed[=N]   zlib level N (0..9, default 6): [compressed] or {compressed, N}\n"
    "  --minor-version N  {minor_version, N}: 0 floats as FLOAT_EXT, 1 (default), 2 UTF-8 atoms\n"
    "  --latin1           the text is Latin-1, as decode prints it (default: UTF-8 when valid)\n"
    "  --                 ends the options (for a TEXT such as -1)\n"
    "\n"
    "exit status: 0 ok, 1 input rejected (the reason and position on stderr), 2 usage error\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "distspec term: %s\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

std::optional<std::vector<std::uint8_t>> read_all(std::FILE* in) {
  std::vector<std::uint8_t> data;
  std::uint8_t buffer[65536];
  for (;;) {
    std::size_t n = std::fread(buffer, 1, sizeof buffer, in);
    data.insert(data.end(), buffer, buffer + n);
    if (n < sizeof buffer) break;
  }
  if (std::ferror(in)) return std::nullopt;
  return data;
}

// Reads FILE, or standard input for "-" or no name. Prints the reason on failure.
std::optional<std::vector<std::uint8_t>> read_input(std::optional<std::string_view> name,
                                                    const char* command) {
  if (!name || *name == "-") {
    auto data = read_all(stdin);
    if (!data) std::fprintf(stderr, "distspec term %s: cannot read standard input\n", command);
    return data;
  }
  std::string path(*name);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "distspec term %s: cannot open %s: %s\n", command, path.c_str(),
                 std::strerror(errno));
    return std::nullopt;
  }
  auto data = read_all(f);
  std::fclose(f);
  if (!data) std::fprintf(stderr, "distspec term %s: cannot read %s\n", command, path.c_str());
  return data;
}

bool write_all(const void* data, std::size_t size) {
  return std::fwrite(data, 1, size, stdout) == size && std::fflush(stdout) == 0;
}

std::optional<int> small_number(std::string_view text, int min, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return std::nullopt;
  return v;
}

int run_decode(std::span<const std::string_view> args) {
  std::optional<std::string_view> file;
  for (std::string_view a : args) {
    if (a == "--help" || a == "-h") return std::printf("%s", kUsage), kExitOk;
    if (a.size() > 1 && a[0] == '-') return usage_error("unknown option " + std::string(a));
    if (file) return usage_error("decode takes at most one FILE");
    file = a;
  }
  auto bytes = read_input(file, "decode");
  if (!bytes) return kExitFailure;
  auto decoded = etf::decode(*bytes);
  if (!decoded.ok()) {
    const etf::DecodeError& e = decoded.error();
    std::fprintf(stderr, "distspec term decode: rejected at byte %zu: %.*s\n", e.offset,
                 int(etf::to_string(e.code).size()), etf::to_string(e.code).data());
    return kExitFailure;
  }
  std::string text = etf::format(decoded->term);
  text += '\n';
  return write_all(text.data(), text.size()) ? kExitOk : kExitFailure;
}

int run_encode(std::span<const std::string_view> args) {
  std::optional<std::string_view> text_arg;
  etf::EncodeOptions options;
  etf::TextEncoding encoding = etf::TextEncoding::Auto;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (!options_done && a.size() > 1 && a[0] == '-') {
      if (a == "--") {
        options_done = true;
      } else if (a == "--help" || a == "-h") {
        return std::printf("%s", kUsage), kExitOk;
      } else if (a == "--compressed") {
        options.compression_level = 6;
      } else if (a.starts_with("--compressed=")) {
        auto level = small_number(a.substr(13), 0, 9);
        if (!level) return usage_error("--compressed=N needs N in 0..9");
        options.compression_level = *level;
      } else if (a == "--minor-version" || a.starts_with("--minor-version=")) {
        std::string_view value;
        if (a == "--minor-version") {
          if (i + 1 == args.size()) return usage_error("--minor-version needs a value");
          value = args[++i];
        } else {
          value = a.substr(16);
        }
        auto minor = small_number(value, 0, 2);
        if (!minor) return usage_error("--minor-version needs 0, 1 or 2");
        options.minor_version = *minor;
      } else if (a == "--latin1") {
        encoding = etf::TextEncoding::Latin1;
      } else {
        return usage_error("unknown option " + std::string(a));
      }
      continue;
    }
    if (text_arg) return usage_error("encode takes at most one TEXT");
    text_arg = a;
  }
  std::string text;
  if (!text_arg || *text_arg == "-") {
    auto bytes = read_input(std::nullopt, "encode");
    if (!bytes) return kExitFailure;
    text.assign(bytes->begin(), bytes->end());
  } else {
    text = std::string(*text_arg);
  }
  auto term = etf::parse(text, encoding);
  if (!term.ok()) {
    const etf::ParseError& e = term.error();
    std::fprintf(stderr, "distspec term encode: rejected at line %zu, column %zu (byte %zu): %s\n",
                 e.line, e.column, e.offset, e.message.c_str());
    return kExitFailure;
  }
  std::vector<std::uint8_t> bytes = etf::encode(term.value(), options);
  return write_all(bytes.data(), bytes.size()) ? kExitOk : kExitFailure;
}

int run_term(std::span<const std::string_view> args) {
  if (args.empty()) return usage_error("missing subcommand (decode or encode)");
  std::string_view sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") return std::printf("%s", kUsage), kExitOk;
  if (sub == "decode") return run_decode(args.subspan(1));
  if (sub == "encode") return run_encode(args.subspan(1));
  return usage_error("unknown subcommand " + std::string(sub));
}

const CommandRegistration registration{
    {"term", "decode External Term Format bytes to text, or encode text to bytes", run_term}};

}  // namespace
}  // namespace distspec::cli
