#include "support/fake_leases.h"

#include <httplib.h>

namespace dbtopo::testing {
namespace {

using nlohmann::json;

constexpr char kPrefix[] = "/apis/coordination.k8s.io/v1/namespaces/([^/]+)/leases";

void Reply(httplib::Response& res, int code, const std::string& reason,
           const std::string& message) {
  res.status = code;
  const json status = {{"kind", "Status"},
                       {"apiVersion", "v1"},
                       {"metadata", json::object()},
                       {"status", "Failure"},
                       {"message", message},
                       {"reason", reason},
                       {"code", code},
                       {"details", {{"group", "coordination.k8s.io"}, {"kind", "leases"}}}};
  res.set_content(status.dump(), "application/json");
}

}  // namespace

void FakeLeases::Register(httplib::Server* server) {
  // Answers the request itself when an outage is due or the body is bad;
  // else hands the parsed Lease on.
  auto begin = [this](const httplib::Request& req, httplib::Response& res, json* body) {
    std::lock_guard lock(mutex_);
    if (fail_count_ > 0) {
      --fail_count_;
      Reply(res, 500, "InternalError", "etcdserver: request timed out");
      return false;
    }
    if (body == nullptr) return true;
    *body = json::parse(req.body, nullptr, false);
    if (!body->is_object() || !(*body)["metadata"].is_object()) {
      Reply(res, 400, "BadRequest", "the body is not a Lease object");
      return false;
    }
    return true;
  };
  server->Get(std::string(kPrefix) + "/([^/]+)", [this, begin](const httplib::Request& req,
                                                               httplib::Response& res) {
    if (!begin(req, res, nullptr)) return;
    const json lease = Get(req.matches[1], req.matches[2]);
    if (lease.is_null()) {
      Reply(res, 404, "NotFound",
            "leases.coordination.k8s.io \"" + std::string(req.matches[2]) + "\" not found");
      return;
    }
    res.set_content(lease.dump(), "application/json");
  });
  server->Post(kPrefix, [this, begin](const httplib::Request& req, httplib::Response& res) {
    json lease;
    if (!begin(req, res, &lease)) return;
    const std::string ns = req.matches[1];
    const std::string name = lease["metadata"].value("name", "");
    std::lock_guard lock(mutex_);
    if (leases_.contains(ns + "/" + name)) {
      ++conflicts_;
      Reply(res, 409, "AlreadyExists",
            "leases.coordination.k8s.io \"" + name + "\" already exists");
      return;
    }
    lease["metadata"]["namespace"] = ns;
    lease["metadata"]["resourceVersion"] = std::to_string(++rv_);
    lease["metadata"]["uid"] = "lease-uid-" + std::to_string(rv_);
    leases_[ns + "/" + name] = lease;
    writes_.push_back({"POST", ns + "/" + name, lease["spec"].value("holderIdentity", ""),
                       lease["metadata"]["resourceVersion"]});
    res.status = 201;
    res.set_content(lease.dump(), "application/json");
  });
  server->Put(std::string(kPrefix) + "/([^/]+)", [this, begin](const httplib::Request& req,
                                                               httplib::Response& res) {
    json lease;
    if (!begin(req, res, &lease)) return;
    const std::string key = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
    std::lock_guard lock(mutex_);
    auto it = leases_.find(key);
    if (it == leases_.end()) {
      Reply(res, 404, "NotFound", "leases.coordination.k8s.io not found");
      return;
    }
    const std::string sent = lease["metadata"].value("resourceVersion", "");
    if (!sent.empty() && sent != it->second["metadata"]["resourceVersion"]) {
      ++conflicts_;
      Reply(res, 409, "Conflict",
            "Operation cannot be fulfilled on leases.coordination.k8s.io \"" +
                std::string(req.matches[2]) +
                "\": the object has been modified; please apply your changes to "
                "the latest version and try again");
      return;
    }
    lease["metadata"]["namespace"] = req.matches[1];
    lease["metadata"]["uid"] = it->second["metadata"]["uid"];
    lease["metadata"]["resourceVersion"] = std::to_string(++rv_);
    it->second = lease;
    writes_.push_back({"PUT", key, lease["spec"].value("holderIdentity", ""),
                       lease["metadata"]["resourceVersion"]});
    res.set_content(lease.dump(), "application/json");
  });
}

std::string FakeLeases::Holder(const std::string& ns, const std::string& name) const {
  const json lease = Get(ns, name);
  return lease.is_null() ? "" : lease["spec"].value("holderIdentity", "");
}

json FakeLeases::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = leases_.find(ns + "/" + name);
  return it == leases_.end() ? json() : it->second;
}

std::vector<FakeLeases::Write> FakeLeases::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

int FakeLeases::conflicts() const {
  std::lock_guard lock(mutex_);
  return conflicts_;
}

void FakeLeases::FailNextRequests(int count) {
  std::lock_guard lock(mutex_);
  fail_count_ = count;
}

}  // namespace dbtopo::testing
