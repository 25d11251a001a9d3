#pragma once

// The remediation endpoints: POST /api/v1/switchover and POST /api/v1/alerts.
// HTTP lives here; the Remediator decides and acts, and answers with codes
// that this layer maps to statuses.

#include <string>
#include <string_view>

#include "dbtopo/remediation/remediator.h"

namespace dbtopo {

/// An HTTP answer: status and a JSON body.
struct HttpReply {
  int status = 200;
  std::string body;
};

/// The HTTP status of a decision's code: kOk 200, kBadRequest 400,
/// kNotFound 404, kBusy 409, kRefused 422, kCoolingDown 429, kFailed 500,
/// kUnavailable 503.
int HttpStatusOf(RemediationCode code);

class RemediationApi {
 public:
  /// `remediator` is not owned and must outlive the API. `log`: where the
  /// rejections (401, 503) are logged; null => log::Write.
  explicit RemediationApi(Remediator* remediator, log::Sink log = nullptr)
      : remediator_(remediator), log_(std::move(log)) {}

  /// POST /api/v1/switchover. `authorization` is the Authorization header,
  /// `body` {"db_cluster", "candidate", optional "namespace", "component",
  /// "dry_run"}. Answers 401 without the right Bearer token, 503 on a
  /// follower (naming the holder), 400 for a malformed body, else the record
  /// of the decision as JSON with HttpStatusOf(its code).
  HttpReply Switchover(std::string_view authorization, std::string_view body);

  /// POST /api/v1/alerts: an Alertmanager webhook (version 4) payload.
  /// Answers 401 without the right token, 503 on a follower, 400 for a
  /// malformed payload, else 200 with {"alerts": [{alertname, status,
  /// namespace, db_cluster, component, pod, action (when mapped), decision,
  /// reason, record (when finished)}]}; decision is one of ignored, refused,
  /// dry_run, success, failure, in_progress.
  HttpReply Alerts(std::string_view authorization, std::string_view body);

 private:
  std::optional<HttpReply> CheckToken(std::string_view authorization, const char* path) const;
  std::optional<HttpReply> CheckLeader(const char* path) const;

  Remediator* const remediator_;
  const log::Sink log_;
};

}  // namespace dbtopo
