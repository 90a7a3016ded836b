#include "distspec/scenario/run_context.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include "distspec/process/child_process.hpp"
#include "distspec/process/local_host.hpp"

namespace distspec::scenario {

using process::Clock;
namespace {

namespace fs = std::filesystem;

std::string random_letters(std::size_t n, const char* alphabet) {
  std::random_device device;
  std::mt19937_64 gen(device());
  std::string out;
  std::size_t size = std::char_traits<char>::length(alphabet);
  for (std::size_t i = 0; i < n; ++i) out += alphabet[gen() % size];
  return out;
}

}  // namespace

RunContext::RunContext(const RunContextOptions& options)
    : keep_temp_(options.keep_temp), record_corpus_dir_(options.record_corpus_dir) {
  host_ = process::short_host_name();
  std::string pattern = (fs::temp_directory_path() / "distspec-run-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temp dir");
  temp_dir_ = pattern;
  home_dir_ = temp_dir_ + "/home";
  fs::create_directories(home_dir_);
  // The cookie a node without `cookie:` reads: generated here, never the user's own.
  std::string cookie_file = home_dir_ + "/.erlang.cookie";
  std::string cookie = random_letters(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  std::ofstream(cookie_file) << cookie;
  ::chmod(cookie_file.c_str(), 0400);
  secrets_.push_back(cookie);
  run_token_ = random_letters(3, "abcdefghijklmnopqrstuvwxyz0123456789");
  if (options.epmd_port) {
    epmd_port_ = *options.epmd_port;
  } else {
    epmd_ = std::make_unique<process::PrivateEpmd>();
    epmd_port_ = epmd_->port();
  }
  closed_port_ = process::free_loopback_port();
}

RunContext::~RunContext() {
  epmd_.reset();
  std::error_code ec;
  if (!keep_temp_) {
    // the cookie file is read-only; remove_all copes, but be explicit about permissions
    fs::permissions(home_dir_ + "/.erlang.cookie", fs::perms::owner_write, fs::perm_options::add, ec);
    fs::remove_all(temp_dir_, ec);
  }
}

std::string RunContext::app_build_path(const std::string& app_dir) const {
  auto it = app_builds_.find(app_dir);
  return it == app_builds_.end() ? std::string() : it->second;
}

namespace {

// Newest modification time of the files mix compiles from.
fs::file_time_type newest_source(const fs::path& app_dir) {
  std::error_code ec;
  auto newest = fs::last_write_time(app_dir / "mix.exs", ec);
  for (const char* sub : {"lib", "config"}) {
    if (!fs::is_directory(app_dir / sub, ec)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(app_dir / sub, ec))
      newest = std::max(newest, fs::last_write_time(entry.path(), ec));
  }
  return newest;
}

bool build_is_fresh(const fs::path& app_dir, const fs::path& build) {
  std::error_code ec;
  auto built = fs::last_write_time(build / "compiled.stamp", ec);  // written after a good compile
  return !ec && built > newest_source(app_dir);
}

}  // namespace

void RunContext::build_apps(const std::vector<std::string>& app_dirs) {
  for (const auto& dir : app_dirs) {
    if (app_builds_.count(dir)) continue;
    // The app's own _build/distspec, reused while no source changed (a lock keeps two runs
    // from compiling at once); the run's temp dir when the app folder is not writable.
    fs::path build = fs::path(dir) / "_build" / "distspec";
    std::error_code ec;
    fs::create_directories(build, ec);
    int lock = ec ? -1 : ::open((build.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0) build = fs::path(temp_dir_) / "build" / fs::path(dir).filename();
    else ::flock(lock, LOCK_EX);
    if (!build_is_fresh(dir, build)) {
      process::ChildProcess mix({"mix", {"compile"},
                        {{"MIX_BUILD_PATH", build.string()}, {"MIX_ENV", "dev"}, {"HOME", home_dir_}},
                        dir});
      mix.close_input();
      mix.wait_exit(Clock::now() + std::chrono::minutes(3));
      // Let the reader finish so the output is complete before it is read.
      mix.output().wait_for(0, Clock::now() + std::chrono::seconds(2),
                            [](const std::string&) { return false; });
      if (mix.exit_code() == 0) std::ofstream(build / "compiled.stamp") << "mix compile succeeded\n";
      if (!build_is_fresh(dir, build)) {
        if (lock >= 0) ::close(lock);
        std::string text;
        for (const auto& line : mix.output().last(30)) text += "\n  " + line;
        throw std::runtime_error("mix compile failed in " + dir + ":" + text);
      }
    }
    if (lock >= 0) ::close(lock);
    app_builds_[dir] = build.string();
  }
}

std::string RunContext::next_suffix() {
  unsigned n = ++suffix_count_;
  std::string digits;
  do {
    digits.insert(digits.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
    n /= 36;
  } while (n);
  return run_token_ + digits;
}

std::map<std::string, std::string> RunContext::node_env(const NodeSpec& spec) const {
  std::map<std::string, std::string> env = {
      {"HOME", home_dir_},
      {"ERL_EPMD_PORT", std::to_string(spec.epmd == EpmdChoice::unreachable ? closed_port_ : epmd_port_)},
      {"MIX_ENV", "dev"},
  };
  if (spec.app) env["MIX_BUILD_PATH"] = app_build_path(spec.app_dir);
  return env;
}

void RunContext::add_secrets(const Scenario& scenario) {
  std::lock_guard lock(secrets_mutex_);
  for (const auto& [_, node] : scenario.nodes)
    if (node.cookie && !node.cookie->empty() &&
        std::find(secrets_.begin(), secrets_.end(), *node.cookie) == secrets_.end())
      secrets_.push_back(*node.cookie);
  // Longest first, so a cookie that contains another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string RunContext::redact(std::string text) const {
  std::lock_guard lock(secrets_mutex_);
  for (const auto& secret : secrets_)
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "<cookie>"), at += 8;
  return text;
}

}  // namespace distspec::scenario
