#pragma once

// Where the Kubernetes API server is and how to authenticate to it: parsed
// from a kubeconfig file (kubectl's format) or from the in-cluster service
// account. Resolution order (what kubectl does, minus exec plugins):
//
//   1. `kubernetes.kubeconfig` from the exporter config, if set;
//   2. else $KUBECONFIG (a ':'-separated list, merged like kubectl: the first
//      file that sets current-context / a named cluster, user or context wins);
//   3. else the in-cluster service account: https://$KUBERNETES_SERVICE_HOST:
//      $KUBERNETES_SERVICE_PORT, token and ca.crt from
//      /var/run/secrets/kubernetes.io/serviceaccount/.
//
// Supported kubeconfig fields: clusters[].cluster.{server,
// certificate-authority, certificate-authority-data, insecure-skip-tls-verify,
// tls-server-name}, users[].user.{token, tokenFile, client-certificate,
// client-certificate-data, client-key, client-key-data, username, password},
// contexts[].context.{cluster, user, namespace}, current-context. Relative
// file paths are relative to the kubeconfig file that names them. exec and
// auth-provider users are rejected with a clear error.
//
// Errors name the kubeconfig file and the field ("users[0].user.client-key").
// Secrets (token, password, client key) are held in Secret and never appear in
// errors or logs.

#include <string>
#include <vector>

#include "dbtopo/base/result.h"
#include "dbtopo/base/secret.h"

namespace dbtopo::kube {

/// Default service account mount of a pod.
inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

/// A resolved API server connection.
struct KubeConfig {
  /// For messages: the kubeconfig path(s) or "in-cluster service account".
  std::string source;
  std::string context;  ///< current-context ("" in-cluster).
  std::string user;     ///< users[].name ("" in-cluster).
  std::string server;   ///< As given, e.g. "https://10.96.0.1:443".
  std::string scheme;   ///< "http" or "https".
  std::string host;     ///< Host name or IP (IPv6 without brackets).
  int port = 0;         ///< Explicit or the scheme's default (80, 443).
  /// Path the API is served under ("" usually; e.g. "/k8s/clusters/c-1"
  /// behind Rancher). No trailing '/'.
  std::string path_prefix;

  /// PEM bundle of trusted CAs ("" => the system trust store).
  std::string ca_pem;
  /// Where ca_pem came from, for messages ("certificate-authority-data" or a path).
  std::string ca_origin;
  bool insecure_skip_tls_verify = false;
  /// Name to verify the server certificate against (and send as SNI) instead
  /// of `host`; "" => host.
  std::string tls_server_name;

  /// Bearer token (static).
  Secret token;
  /// Bearer token file, re-read when it changes (service account tokens
  /// rotate); wins over `token` when both are set.
  std::string token_file;
  /// Client certificate (PEM) and its key (PEM), both or neither.
  std::string client_cert_pem;
  Secret client_key_pem;
  /// Basic auth (rare; some test clusters).
  std::string username;
  Secret password;

  /// The context's namespace, or the service account's namespace; "" when
  /// unset. Informational: `kubernetes.namespaces` decides what is watched.
  std::string ns;

  /// "https://host:port (kubeconfig /path, context ctx)" — no secrets.
  std::string Describe() const;
};

/// A kubeconfig problem, located.
struct KubeConfigError {
  std::string file;   ///< Kubeconfig path ("" for in-cluster / environment problems).
  std::string field;  ///< e.g. "users[0].user.client-key"; "" for the whole file.
  std::string message;

  /// "kubeconfig FILE: FIELD: MESSAGE" (parts omitted when empty).
  std::string ToString() const;
};

using KubeConfigResult = Result<KubeConfig, KubeConfigError>;

/// One kubeconfig document and the path it was read from (for relative paths
/// and messages).
struct KubeConfigFile {
  std::string path;
  std::string text;
};

/// Parses and merges kubeconfig documents (first wins, like kubectl) and
/// resolves the current context. Reads the files the config refers to
/// (certificate-authority, client-certificate, client-key, tokenFile).
KubeConfigResult ParseKubeConfig(const std::vector<KubeConfigFile>& files);

/// Reads `paths` (a missing file is an error when it is the only one, skipped
/// otherwise, as kubectl does) and parses them.
KubeConfigResult LoadKubeConfigFiles(const std::vector<std::string>& paths);

/// The in-cluster config from the given environment values and service
/// account directory.
KubeConfigResult InClusterConfig(const std::string& service_host, const std::string& service_port,
                                 const std::string& service_account_dir = kServiceAccountDir);

/// What ResolveKubeConfig reads from the process environment.
struct KubeEnvironment {
  std::string kubeconfig;    ///< $KUBECONFIG.
  std::string service_host;  ///< $KUBERNETES_SERVICE_HOST.
  std::string service_port;  ///< $KUBERNETES_SERVICE_PORT.
  std::string service_account_dir = kServiceAccountDir;

  static KubeEnvironment FromProcess();
};

/// `configured` path, else $KUBECONFIG, else in-cluster (see the file comment).
KubeConfigResult ResolveKubeConfig(const std::string& configured,
                                   const KubeEnvironment& env = KubeEnvironment::FromProcess());

/// Splits and validates a server URL into `out`'s scheme, host, port and
/// path prefix; the error says why it is not a usable URL.
Status ParseServerUrl(const std::string& url, KubeConfig* out);

/// Decodes standard base64 (whitespace ignored). std::nullopt-like: returns
/// false when the input is not base64.
bool DecodeBase64(const std::string& in, std::string* out);

}  // namespace dbtopo::kube
