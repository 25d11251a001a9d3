#pragma once

// A client that keeps writing in the background during a switchover and
// remembers every write the server acknowledged, so a test can check that
// none was lost. On any failure (read-only, connection gone) it moves on to
// the next server in `ports`, as an application behind a failover would.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace dbtopo::testing {

class AckingWriter {
 public:
  /// One connection to one server.
  class Connection {
   public:
    virtual ~Connection() = default;
    /// Writes record `id`; true when the server acknowledged it.
    virtual bool Write(int id) = 0;
  };
  /// Connects to 127.0.0.1:port; nullptr on failure. Runs on the writer thread.
  using Connect = std::function<std::unique_ptr<Connection>(int port)>;

  /// `first_id`: ids count up from it. `pause_after_ack`: between writes.
  AckingWriter(std::vector<int> ports, Connect connect, int first_id,
               std::chrono::milliseconds pause_after_ack)
      : ports_(std::move(ports)),
        connect_(std::move(connect)),
        next_id_(first_id),
        pause_after_ack_(pause_after_ack) {}
  ~AckingWriter() { Stop(); }
  AckingWriter(const AckingWriter&) = delete;
  AckingWriter& operator=(const AckingWriter&) = delete;

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  /// Ids the servers acknowledged so far.
  std::set<int> acked() {
    std::lock_guard lock(mu_);
    return acked_;
  }
  /// Writes that failed (each one moved the writer to the next server).
  int failures() const { return failures_; }

 private:
  void Run() {
    std::unique_ptr<Connection> conn;
    std::size_t target = 0;
    while (!stop_) {
      if (conn == nullptr) {
        conn = connect_(ports_[target]);
        if (conn == nullptr) {
          target = (target + 1) % ports_.size();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
      }
      const int id = next_id_++;
      if (conn->Write(id)) {
        {
          std::lock_guard lock(mu_);
          acked_.insert(id);
        }
        std::this_thread::sleep_for(pause_after_ack_);
        continue;
      }
      ++failures_;
      conn.reset();
      target = (target + 1) % ports_.size();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  const std::vector<int> ports_;
  const Connect connect_;
  int next_id_;
  const std::chrono::milliseconds pause_after_ack_;
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::mutex mu_;
  std::set<int> acked_;
  std::thread thread_;
};

}  // namespace dbtopo::testing
