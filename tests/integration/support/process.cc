#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dbtopo::testing {
namespace {

std::runtime_error SystemError(const std::string& what, int err = errno) {
  return std::runtime_error(what + ": " + std::strerror(err));
}

/// `name` if it contains a '/', else the first executable `$PATH/name`.
std::string ResolveExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  // Servers such as mariadbd live in sbin, which a test's $PATH may lack.
  path += ":/usr/local/sbin:/usr/sbin:/sbin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error("executable not found in $PATH: " + name);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace

void SleepFor(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

// ---------------------------------------------------------------- TempDir

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  std::string templ = base + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw SystemError("mkdtemp " + templ);
  path_ = buf.data();
}

TempDir::~TempDir() {
  const char* keep = std::getenv("DBTOPO_KEEP_TEMP");
  if (keep != nullptr && std::string(keep) == "1") {
    std::cerr << "[dbtopo-test] keeping " << path_ << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec) std::cerr << "[dbtopo-test] cannot remove " << path_ << ": " << ec.message() << "\n";
}

std::string TempDir::File(const std::string& name) const { return path_ + "/" + name; }

// ---------------------------------------------------------------- files, ports

namespace {

// One free port from the kernel (bind to port 0, read it back, close).
int KernelFreePort() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw SystemError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw SystemError("bind 127.0.0.1:0");
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw SystemError("getsockname");
  }
  return ntohs(addr.sin_port);
}

}  // namespace

int FreePort() {
  // Servers are often spawned together and bind later: the kernel may hand
  // the same free port out twice before the first server has bound it. A
  // port is given once per test process.
  static std::mutex mu;
  static std::set<int> given;
  std::lock_guard lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = KernelFreePort();
    if (given.insert(port).second) return port;
  }
  throw std::runtime_error("FreePort: the kernel keeps giving ports already handed out");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TailFile(const std::string& path, std::size_t max_bytes) {
  std::string content = ReadFile(path);
  if (content.size() <= max_bytes) return content;
  std::string tail = content.substr(content.size() - max_bytes);
  std::size_t nl = tail.find('\n');
  if (nl != std::string::npos && nl + 1 < tail.size()) tail = tail.substr(nl + 1);
  return tail;
}

void WriteFile(const std::string& path, const std::string& content, int mode) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.get() < 0) throw SystemError("open " + path);
  ::fchmod(fd.get(), mode);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("write " + path);
    }
    done += static_cast<std::size_t>(n);
  }
}

// ---------------------------------------------------------------- Process

Process::Process(std::vector<std::string> argv, std::string log_path,
                 std::map<std::string, std::string> env)
    : argv_(std::move(argv)), log_path_(std::move(log_path)), env_(std::move(env)) {
  if (argv_.empty()) throw std::invalid_argument("Process: empty argv");
}

Process::~Process() {
  if (IsRunning()) Kill();
}

std::string Process::CommandLine() const {
  std::string out;
  for (const auto& arg : argv_) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

void Process::Start() {
  if (IsRunning()) throw std::logic_error("Process::Start: already running: " + CommandLine());
  exit_status_.reset();
  paused_ = false;

  // Everything the child needs is prepared before fork(): after fork() in a
  // possibly multi-threaded parent, the child may only call async-signal-safe
  // functions.
  const std::string exe = ResolveExecutable(argv_[0]);
  std::vector<char*> argv;
  for (auto& arg : argv_) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env_map[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : env_) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  Fd log(::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.get() < 0) throw SystemError("open log " + log_path_);
  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.get() < 0) throw SystemError("open /dev/null");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw SystemError("pipe2");
  Fd err_read(pipe_fds[0]);
  Fd err_write(pipe_fds[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) {
    // Child.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(devnull.get(), 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    // Do not leak the test's sockets (MySQL connections, HTTP clients) into
    // the child: everything above stderr is closed on exec.
    ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    ::execve(exe.c_str(), argv.data(), envp.data());
    int err = errno;
    ssize_t ignored = ::write(err_write.get(), &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }
  err_write.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  pid_ = pid;
  if (n == sizeof child_errno) {
    Reap(true);
    throw SystemError("exec " + exe, child_errno);
  }
}

bool Process::Reap(bool block) {
  if (pid_ <= 0 || exit_status_.has_value()) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_status_ = status;
    paused_ = false;
    return true;
  }
  if (r < 0) {  // ECHILD: someone else reaped it; treat as gone.
    exit_status_ = -1;
    return true;
  }
  return false;
}

bool Process::IsRunning() {
  if (pid_ <= 0 || exit_status_.has_value()) return false;
  return !Reap(false);
}

std::optional<int> Process::Stop(std::chrono::milliseconds grace) {
  if (!IsRunning()) return std::nullopt;
  // The whole process group: what the process started (Chromium under the
  // browser driver, a hook's command under the exporter) goes with it.
  ::kill(-pid_, SIGTERM);
  if (paused_) Resume();
  if (!PollUntil([&] { return !IsRunning(); }, grace, std::chrono::milliseconds(10))) {
    ::kill(pid_, SIGKILL);
    Reap(true);
  }
  KillGroup();
  return exit_status_;
}

void Process::Kill() {
  if (!IsRunning()) return;
  ::kill(pid_, SIGKILL);
  Reap(true);
  KillGroup();
}

void Process::KillGroup() const {
  // The group keeps the leader's id while any member lives, so this reaches
  // only what this process started (and did not move to a group of its own).
  if (pid_ > 0) ::kill(-pid_, SIGKILL);
}

void Process::Pause() {
  if (!IsRunning()) throw std::logic_error("Process::Pause: not running: " + CommandLine());
  if (::kill(pid_, SIGSTOP) != 0) throw SystemError("kill SIGSTOP");
  paused_ = true;
}

void Process::Resume() {
  if (pid_ <= 0 || exit_status_.has_value()) return;
  if (::kill(pid_, SIGCONT) != 0) throw SystemError("kill SIGCONT");
  paused_ = false;
}

int RunCommand(const std::vector<std::string>& argv, const std::string& log_path,
               std::chrono::milliseconds timeout) {
  Process process(argv, log_path);
  process.Start();
  if (!PollUntil([&] { return !process.IsRunning(); }, timeout, std::chrono::milliseconds(10))) {
    process.Kill();
    throw std::runtime_error("timed out: " + process.CommandLine() + "\n" + process.LogTail());
  }
  const int status = process.exit_status().value_or(-1);
  if (!WIFEXITED(status)) {
    throw std::runtime_error("killed by a signal: " + process.CommandLine() + "\n" +
                             process.LogTail());
  }
  return WEXITSTATUS(status);
}

}  // namespace dbtopo::testing
