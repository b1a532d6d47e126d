/* Where the kube-apiserver is and how to authenticate, from kuryr.conf's [kubernetes] options:
 *   kubeconfig set            -> that file, then any api_root / ssl_* / token_file set on top of it;
 *   else api_root set         -> api_root with ssl_ca_crt_file, ssl_client_crt_file/key_file, token_file;
 *   else                      -> the pod's service account (KUBERNETES_SERVICE_HOST/PORT, token, CA).
 * ssl_verify_server_crt = false turns verification off; nothing turns it off by default. */
#ifndef KC_K8S_CONF_H
#define KC_K8S_CONF_H

#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/k8s_config.h"

/* 0 with out filled (kuryr_k8s_config_clear it), or -1 with err naming the option at fault. */
int kc_k8s_config(const kuryr_config *cfg, kuryr_k8s_config *out, kuryr_error *err);

#endif
