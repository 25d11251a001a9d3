// switchover.action exec: run a command that performs the switchover.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "actions.h"
#include "dbtopo/base/duration.h"

extern char** environ;

namespace dbtopo::remediation {
namespace {

constexpr std::size_t kMaxOutput = 2048;

void KeepTail(std::string* out) {
  if (out->size() > kMaxOutput) out->erase(0, out->size() - kMaxOutput);
}

std::string Describe(const CommandResult& r, std::chrono::milliseconds timeout) {
  if (!r.started) return "could not start: " + r.error;
  if (r.timed_out) return "timeout: killed after " + FormatDuration(timeout);
  if (r.signal != 0) return "killed by signal " + std::to_string(r.signal);
  return "exit status " + std::to_string(r.exit_code);
}

// The process's environment without the keys of `env`, then `env`.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (!env.contains(key)) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  return env_strings;
}

// Starts argvp with stdin from /dev/null and stdout and stderr into
// `output_fd`, in its own process group (so a timeout kills the whole tree)
// with default signals. posix_spawnp's error number, 0 when started.
int Spawn(std::vector<char*>& argvp, std::vector<char*>& envp, int output_fd, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group (so a timeout kills the whole tree), default signals.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  const int rc = posix_spawnp(pid, argvp[0], &actions, &attr, argvp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

// Reads `fd` into `*output` (its last kMaxOutput bytes) until it closes;
// false when `deadline` came first.
bool ReadOutput(int fd, std::chrono::steady_clock::time_point deadline, std::string* output) {
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    const int n = poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got > 0) {
      output->append(buf, static_cast<std::size_t>(got));
      KeepTail(output);
    } else if (got == 0 || errno != EINTR) {
      return true;
    }
  }
}

}  // namespace

std::map<std::string, std::string> ExecEnvironment(const UnitId& unit,
                                                   const std::string& old_primary,
                                                   const std::string& candidate) {
  return {{"DBTOPO_NAMESPACE", unit.ns},
          {"DBTOPO_DB_CLUSTER", unit.db_cluster},
          {"DBTOPO_COMPONENT", unit.component},
          {"DBTOPO_OLD_PRIMARY", old_primary},
          {"DBTOPO_CANDIDATE", candidate}};
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout) {
  CommandResult result;
  if (argv.empty()) {
    result.error = "empty command";
    return result;
  }
  // Everything the child needs is built before the spawn.
  std::vector<std::string> env_strings = ChildEnvironment(env);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (std::string& s : args) argvp.push_back(s.data());
  argvp.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  pid_t pid = -1;
  const int rc = Spawn(argvp, envp, pipe_fds[1], &pid);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    result.error = argv[0] + ": " + std::strerror(rc);
    return result;
  }
  result.started = true;

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  result.timed_out = !ReadOutput(pipe_fds[0], deadline, &result.output);
  close(pipe_fds[0]);
  int status = 0;
  if (result.timed_out) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
  } else {
    // Output closed; the process may still run (it closed its stdout).
    while (true) {
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (!result.timed_out) {
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  }
  return result;
}

ActionOutcome ExecSwitchover(const UnitId& unit, const SwitchoverPlan& plan,
                             const std::vector<std::string>& command, ActionContext& ctx) {
  std::string argv_text;
  for (const std::string& a : command) argv_text += (argv_text.empty() ? "" : " ") + a;
  ExternalSwitchover external;
  external.who = "the command";
  external.step = "run_command";
  external.plan = "would run " + argv_text + " with DBTOPO_OLD_PRIMARY=" + plan.old_primary +
                  " DBTOPO_CANDIDATE=" + plan.candidate;
  external.recovery =
      "the command failed; what it changed is up to the command (its output is in the step "
      "detail)";
  external.candidate = plan.candidate;
  external.hand_over = [&](std::string* detail) {
    const auto timeout = ctx.Remaining();
    const CommandResult r =
        RunCommand(command, ExecEnvironment(unit, plan.old_primary, plan.candidate), timeout);
    *detail = argv_text + ": " + Describe(r, timeout);
    std::string tail = r.output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) {
      tail.pop_back();
    }
    if (!tail.empty()) {
      if (tail.size() > 512) tail = "..." + tail.substr(tail.size() - 512);
      *detail += "; output: " + tail;
    }
    return r.started && !r.timed_out && r.signal == 0 && r.exit_code == 0;
  };
  return RunExternalSwitchover(external, ctx);
}

}  // namespace dbtopo::remediation
