#include "distspec/process/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <stdexcept>

namespace distspec::process {
namespace {

namespace bp = boost::process;

// Fixed-size and lock-free so the signal handler can walk it.
constexpr std::size_t kMaxGroups = 1024;
std::array<std::atomic<pid_t>, kMaxGroups> g_groups{};
std::atomic<int> g_signal{0};

void register_group(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pgid)) return;
  }
}

void unregister_group(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t expected = pgid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void on_interrupt(int sig) {
  kill_all_process_groups();
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig)) _exit(128 + sig);  // second signal
}

}  // namespace

void kill_all_process_groups() {
  for (auto& slot : g_groups) {
    pid_t pgid = slot.load();
    if (pgid > 0) ::killpg(pgid, SIGKILL);
  }
}

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int interrupt_signal() { return g_signal.load(); }

struct ChildProcess::Impl {
  bp::child child;
};

ChildProcess::ChildProcess(const ChildOptions& options) : output_(std::make_shared<OutputLog>()) {
  auto program = options.program.find('/') == std::string::npos
                     ? bp::search_path(options.program)
                     : boost::filesystem::path(options.program);
  if (program.empty()) throw std::runtime_error("program not found in PATH: " + options.program);
  bp::environment env = boost::this_process::environment();
  for (const auto& [key, value] : options.env) env[key] = value;
  bp::pipe input, output;
  const pid_t parent = ::getpid();
  auto setup = [parent](auto& exec) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the runner died between fork and prctl
    ::signal(SIGPIPE, SIG_DFL);
    // Keep only stdin/stdout/stderr (dup'ed by the handlers before this one): no child holds
    // another node's pipe. Boost's own exec-error pipe goes too; an exec failure then shows as
    // an immediate exit.
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  };
  std::error_code ec;
  impl_ = std::make_unique<Impl>();
  impl_->child = bp::child(bp::exe = program, bp::args = options.args, bp::std_in < input,
                           (bp::std_out & bp::std_err) > output, env,
                           bp::start_dir = options.working_dir.empty() ? std::string(".")
                                                                        : options.working_dir,
                           bp::extend::on_exec_setup = setup, ec);
  if (ec) throw std::runtime_error("cannot start " + options.program + ": " + ec.message());
  pid_ = impl_->child.id();
  ::setpgid(pid_, pid_);  // also from here, so the group exists before we may kill it
  register_group(pid_);
  input_fd_ = ::dup(input.native_sink());
  output_fd_ = ::dup(output.native_source());
  ::fcntl(input_fd_, F_SETFD, FD_CLOEXEC);
  ::fcntl(output_fd_, F_SETFD, FD_CLOEXEC);
  input.close();
  output.close();
  reader_ = std::thread([this] { read_loop(); });
}

ChildProcess::~ChildProcess() {
  kill_group();
  if (reader_.joinable()) reader_.join();
  if (input_fd_ >= 0) ::close(input_fd_);
  if (output_fd_ >= 0) ::close(output_fd_);
}

void ChildProcess::read_loop() {
  std::string pending;
  char buffer[4096];
  for (;;) {
    pollfd p{output_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // Nothing to read; stop once the whole group is gone (a grandchild may hold the pipe).
      if (::killpg(pid_, 0) != 0 && errno == ESRCH) break;
      continue;
    }
    ssize_t n = ::read(output_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, std::size_t(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      std::string line = pending.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      output_->append(std::move(line));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) output_->append(std::move(pending));
  output_->close();
}

bool ChildProcess::write(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(input_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += std::size_t(n);
  }
  return true;
}

void ChildProcess::close_input() {
  if (input_fd_ >= 0) ::close(input_fd_);
  input_fd_ = -1;
}

bool ChildProcess::running() {
  std::error_code ec;
  return impl_->child.running(ec);
}

bool ChildProcess::wait_exit(Clock::time_point deadline) {
  while (running()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int ChildProcess::exit_code() {
  return running() ? -1 : impl_->child.exit_code();
}

void ChildProcess::signal_group(int sig) {
  if (pid_ > 0 && !group_gone_) ::killpg(pid_, sig);
}

void ChildProcess::kill_group() {
  if (pid_ <= 0 || group_gone_) return;
  ::killpg(pid_, SIGKILL);
  std::error_code ec;
  if (impl_->child.running(ec)) impl_->child.wait(ec);
  unregister_group(pid_);
  group_gone_ = true;
}

}  // namespace distspec::process
