// RunContext: what every scenario of one run shares: a temp dir, a HOME with its own
// ~/.erlang.cookie, an epmd, the compiled apps, unique node-name suffixes, and the redactor.
//
// Create it on a thread that outlives the run (it starts epmd, which dies with that thread).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "distspec/process/private_epmd.hpp"
#include "distspec/scenario/model.hpp"

namespace distspec::scenario {

struct RunContextOptions {
  std::optional<int> epmd_port;  // use this epmd (e.g. the system's 4369) instead of our own
  bool keep_temp = false;        // leave the temp dir behind (for debugging)
  // --record-corpus DIR: peer nodes write every handshake message and term they see into DIR
  // (node::CorpusRecorder's layout: DIR/handshake/, DIR/term/, files named by content hash).
  std::optional<std::string> record_corpus_dir;
};

class RunContext {
 public:
  explicit RunContext(const RunContextOptions& options);  // throws std::runtime_error
  ~RunContext();  // stops epmd, removes the temp dir

  const std::string& host() const { return host_; }
  int epmd_port() const { return epmd_port_; }
  bool own_epmd() const { return epmd_ != nullptr; }
  const std::string& temp_dir() const { return temp_dir_; }
  const std::optional<std::string>& record_corpus_dir() const { return record_corpus_dir_; }

  // Compiles each mix project once per run, into <app>/_build/distspec (MIX_BUILD_PATH), or
  // reuses that build when no file of mix.exs, lib/ or config/ is newer. Throws with mix's
  // output when a compile fails.
  void build_apps(const std::vector<std::string>& app_dirs);
  std::string app_build_path(const std::string& app_dir) const;

  // A suffix no other attempt of this run uses: node a becomes a_<suffix>.
  std::string next_suffix();

  // The environment of a node of this run.
  std::map<std::string, std::string> node_env(const NodeSpec& spec) const;

  // Cookies are secrets: each is replaced by "<cookie>" wherever results or logs are written.
  void add_secrets(const Scenario& scenario);
  std::string redact(std::string text) const;

 private:
  std::string host_;
  std::string temp_dir_;
  std::string home_dir_;
  std::string run_token_;
  std::unique_ptr<process::PrivateEpmd> epmd_;
  int epmd_port_ = 4369;
  int closed_port_ = 0;  // for epmd: unreachable
  std::atomic<unsigned> suffix_count_{0};
  std::map<std::string, std::string> app_builds_;
  mutable std::mutex secrets_mutex_;
  std::vector<std::string> secrets_;
  bool keep_temp_ = false;
  std::optional<std::string> record_corpus_dir_;
};

}  // namespace distspec::scenario
