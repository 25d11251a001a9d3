#pragma once

// Process and filesystem helpers for integration tests: child processes with
// their output in a log file, free TCP ports, temporary directories.
//
// Everything here is for tests: failures to set things up throw
// std::runtime_error (GoogleTest reports the message and fails the test).

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dbtopo::testing {

/// A fresh directory under $TMPDIR (else /tmp), removed with everything in it
/// on destruction. Set DBTOPO_KEEP_TEMP=1 in the environment to keep it (its
/// path is printed) when debugging a test.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "dbtopo-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// `path() + "/" + name`.
  std::string File(const std::string& name) const;

 private:
  std::string path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it
/// back, close). Another process may still take it before the caller does.
int FreePort();

/// Whole content of a file; "" when it cannot be read.
std::string ReadFile(const std::string& path);
/// Last `max_bytes` bytes of a file (from a line start when possible).
std::string TailFile(const std::string& path, std::size_t max_bytes = 8192);
/// Writes (truncates) a file with the given permission bits; throws on error.
void WriteFile(const std::string& path, const std::string& content, int mode = 0644);

/// A child process. Its stdin is /dev/null; stdout and stderr are appended to
/// a log file. It runs in its own process group and is sent SIGKILL if the
/// thread that started it dies (PR_SET_PDEATHSIG), so a crashed or timed out
/// test leaves no servers behind. The destructor kills and reaps it.
class Process {
 public:
  /// `argv[0]` is looked up in $PATH unless it contains a '/'. `env` entries
  /// are added to (or override) the test's environment.
  Process(std::vector<std::string> argv, std::string log_path,
          std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Starts the child; throws std::runtime_error when it cannot be started
  /// (fork failed, executable not found, log file not writable).
  void Start();

  /// True while the child has not exited (a paused child is running).
  bool IsRunning();
  /// SIGTERM to its process group (plus SIGCONT when paused), SIGKILL once
  /// `grace` has passed; then SIGKILL to what is left of the group (what it
  /// started: Chromium under node, a hook's command). Returns the wait status
  /// (see waitpid) or std::nullopt if it was not running.
  std::optional<int> Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// SIGKILL now, reap, and SIGKILL the rest of its process group.
  void Kill();
  /// SIGSTOP: the process stays alive, keeps its sockets, answers nothing.
  void Pause();
  /// SIGCONT after Pause().
  void Resume();

  pid_t pid() const { return pid_; }
  /// Wait status (see waitpid) once the child has exited and been reaped.
  std::optional<int> exit_status() const { return exit_status_; }
  bool paused() const { return paused_; }
  const std::string& log_path() const { return log_path_; }
  /// Last bytes of the log file.
  std::string LogTail(std::size_t max_bytes = 8192) const { return TailFile(log_path_, max_bytes); }
  /// "argv0 arg1 ..." for messages.
  std::string CommandLine() const;

 private:
  /// Non-blocking reap; records the exit status.
  bool Reap(bool block);
  /// SIGKILL to the process group the child leads (setpgid in Start).
  void KillGroup() const;

  std::vector<std::string> argv_;
  std::string log_path_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
  bool paused_ = false;
  std::optional<int> exit_status_;
};

/// Polls `predicate` every `interval` until it returns true or `timeout`
/// passes; returns its last result.
template <typename Predicate>
bool PollUntil(Predicate predicate, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(50));

/// Runs a command to completion (output appended to `log_path`) and returns
/// its exit code; throws when it cannot be started or is killed by a signal.
int RunCommand(const std::vector<std::string>& argv, const std::string& log_path,
               std::chrono::milliseconds timeout = std::chrono::seconds(120));

// ---- implementation of templates ----

void SleepFor(std::chrono::milliseconds duration);

template <typename Predicate>
bool PollUntil(Predicate predicate, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    SleepFor(interval);
  }
}

}  // namespace dbtopo::testing
