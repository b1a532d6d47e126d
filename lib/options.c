/* The option table: every option Kuryr-C reads, with upstream Kuryr's section, name and default.
 *
 * Parsing, validation, the sample config and docs/config-reference.md are all driven by this one table. Keep
 * rows grouped by section (the generators print them in table order). Defaults are written as they would be
 * in kuryr.conf. */
#include "kuryr/config.h"

#define STR KURYR_OPT_STR
#define BOOL KURYR_OPT_BOOL
#define INT KURYR_OPT_INT
#define LIST KURYR_OPT_LIST

#define PORT_DRIVERS "veth|nested|macvlan|ipvlan|vlan"
#define BINDING_DRIVERS "veth|macvlan|ipvlan|vlan"

const kuryr_opt_def kuryr_options[] = {
    /* [DEFAULT]: kuryr-libnetwork */
    {"DEFAULT", "kuryr_uri", STR, "",
     "URL on which the plugin also listens for Docker's requests over TCP: http://host:port (upstream's default "
     "was http://127.0.0.1:23750), or https:// with enable_ssl. Kuryr-C: empty by default, so only the root-only "
     "unix_socket serves the plugin; a TCP listener lets any local user drive it with the daemon's Neutron "
     "credentials and CAP_NET_ADMIN.",
     false, NULL},
    {"DEFAULT", "capability_scope", STR, "local",
     "Scope reported to Docker: local networks exist on this host only, global ones are shared by every host "
     "of a Docker cluster.",
     false, "local|global"},
    {"DEFAULT", "local_default_address_space", STR, "no_address_space",
     "Name of the address space the IPAM driver reports for local-scope networks.", false, NULL},
    {"DEFAULT", "global_default_address_space", STR, "no_address_space",
     "Name of the address space the IPAM driver reports for global-scope networks.", false, NULL},
    {"DEFAULT", "process_external_connectivity", BOOL, "true",
     "Whether ProgramExternalConnectivity publishes exposed ports through a Neutron security group.", false,
     NULL},
    {"DEFAULT", "enable_ssl", BOOL, "false", "Serve the plugin API over HTTPS (needs ssl_cert_file and "
     "ssl_key_file).", false, NULL},
    {"DEFAULT", "ssl_cert_file", STR, NULL, "PEM certificate presented when enable_ssl is on.", false, NULL},
    {"DEFAULT", "ssl_key_file", STR, NULL, "PEM private key for ssl_cert_file.", false, NULL},
    {"DEFAULT", "bindir", STR, "/usr/libexec/kuryr",
     "Directory holding the per-vif_type host-side hook executables.", false, NULL},
    {"DEFAULT", "subnetpool_name_prefix", STR, "kuryrPool",
     "Prefix of the names of the Neutron subnetpools that the IPAM driver creates.", false, NULL},
    {"DEFAULT", "deployment_type", STR, "baremetal",
     "Where containers run: baremetal binds them to Neutron ports directly, nested puts them behind the "
     "Neutron port of the VM that hosts Docker.",
     false, "baremetal|nested"},
    {"DEFAULT", "default_port_driver", STR, "veth",
     "Port driver used for endpoints. Upstream's module path "
     "(kuryr_libnetwork.port_driver.drivers.veth) is accepted and means the same as the short name. nested is "
     "upstream's macvlan/ipvlan driver, which takes the device type from [binding] default_driver.",
     false, PORT_DRIVERS},
    {"DEFAULT", "enabled_port_drivers", LIST, "veth",
     "Port drivers that may be used. Upstream module paths are accepted as for default_port_driver.", false,
     PORT_DRIVERS},

    /* [DEFAULT]: oslo.log */
    {"DEFAULT", "debug", BOOL, "false", "Log at debug level instead of info.", false, NULL},
    {"DEFAULT", "log_file", STR, NULL, "Append the log to this file instead of writing it to stderr.", false,
     NULL},
    {"DEFAULT", "use_syslog", BOOL, "false", "Send the log to syslog instead of stderr or log_file.", false,
     NULL},
    {"DEFAULT", "syslog_log_facility", STR, "LOG_USER",
     "Syslog facility, e.g. LOG_USER, LOG_DAEMON or LOG_LOCAL0 to LOG_LOCAL7.", false, NULL},

    /* [DEFAULT]: Kuryr-C additions */
    {"DEFAULT", "unix_socket", STR, "/run/docker/plugins/kuryr.sock",
     "Kuryr-C addition: Unix socket on which the plugin also serves Docker; empty disables it.", false, NULL},
    {"DEFAULT", "metrics_listen", STR, "",
     "Kuryr-C addition: loopback host:port (e.g. 127.0.0.1:23751) serving /metrics, /healthz (liveness) and /readyz "
     "(Neutron reachability, probed in the background); empty turns them off.",
     false, NULL},
    {"DEFAULT", "max_request_body", INT, "1048576",
     "Kuryr-C addition: largest request body in bytes the plugin accepts from Docker.", false, NULL},
    {"DEFAULT", "max_connections", INT, "256",
     "Kuryr-C addition: most client connections served at the same time.", false, NULL},
    {"DEFAULT", "request_timeout", INT, "120",
     "Kuryr-C addition: seconds after which an idle or unfinished client connection is closed.", false, NULL},
    {"DEFAULT", "hook_timeout", INT, "60",
     "Kuryr-C addition: seconds a vif_type hook script may run (1 to 3600). One still running then is stopped "
     "with SIGTERM, then SIGKILL 2 s later, with everything in its process group, and the bind fails (and is "
     "undone) or the unbind reports it.",
     false, NULL},
    {"DEFAULT", "background_port_delete", BOOL, "false",
     "Kuryr-C addition: answer ReleaseAddress once the released port's delete is queued, and delete it right "
     "after. Saves a container's stop the Neutron delete (tens to hundreds of ms), but the port outlives "
     "Docker's answer: a client that lists the network's ports or asks for the same fixed IP as soon as "
     "`docker network disconnect` or `docker rm -f` returns may still find it. Off (the default, as upstream): "
     "the port is gone when Docker's call returns.",
     false, NULL},
    {"DEFAULT", "reconcile_on_startup", BOOL, "true",
     "Kuryr-C addition: at start-up, compare Docker endpoints with Neutron ports and clean up orphans.", false,
     NULL},
    {"DEFAULT", "docker_host", STR, "unix:///run/docker.sock",
     "Kuryr-C addition: Docker's API, asked by reconciliation which networks and endpoints exist "
     "(unix:///path or http://host:port).", false, NULL},
    {"DEFAULT", "reconcile_interval", INT, "300",
     "Kuryr-C addition: seconds between the reconciliation passes the daemon runs while it lives, so that "
     "orphans a crash left go without an operator; 0 runs none after start-up.", false, NULL},
    {"DEFAULT", "host", STR, "",
     "Kuryr-C addition: the name of this host in Neutron (binding:host_id, and the kuryr.host:<host> marker on "
     "what this daemon makes); empty = the kernel's host name. It must match the L2 agent's host.", false, NULL},
    {"DEFAULT", "reconcile_min_age", INT, "120",
     "Kuryr-C addition: seconds since its last change before reconciliation may call a Neutron object an "
     "orphan, so that objects of plugin calls still in progress are left alone.", false, NULL},

    /* [DEFAULT]: kuryr-volume, Fuxi's names */
    {"DEFAULT", "volume_dir", STR, "/fuxi/data",
     "kuryr-volume: directory under which volumes are mounted (<volume_dir>/cinder/<name>).", false, NULL},
    {"DEFAULT", "volume_from", STR, "fuxi",
     "kuryr-volume: value of the volume_from metadata key that marks a Cinder volume as made or adopted by "
     "Docker; List and Get only show volumes that carry it.",
     false, NULL},
    {"DEFAULT", "default_volume_size", INT, "1", "kuryr-volume: size in GiB of a volume created without -o size.",
     false, NULL},
    {"DEFAULT", "my_ip", STR, "127.0.0.1", "kuryr-volume: this host's address, sent in its Cinder connector.",
     false, NULL},
    {"DEFAULT", "volume_unix_socket", STR, "/run/docker/plugins/fuxi.sock",
     "Kuryr-C addition: Unix socket (mode 0600) on which kuryr-volume serves Docker as the volume driver "
     "named after the file (fuxi).",
     false, NULL},
    {"DEFAULT", "volume_state_dir", STR, "/var/lib/kuryr/volume",
     "Kuryr-C addition: where kuryr-volume records each mount step before taking it, so that a restart finds "
     "and settles what a killed daemon left half done.",
     false, NULL},

    /* [neutron]: keystoneauth session and auth plugin */
    {"neutron", "auth_type", STR, "password",
     "Keystone authentication plugin. none (or noauth) talks to endpoint_override without a token.", false,
     "password|v3password|v3applicationcredential|applicationcredential|token|v3token|none|noauth"},
    {"neutron", "auth_url", STR, NULL, "Keystone identity URL, e.g. http://keystone:5000/v3.", false, NULL},
    {"neutron", "username", STR, NULL, "User name for the password plugins.", false, NULL},
    {"neutron", "user_id", STR, NULL, "User ID, instead of username.", false, NULL},
    {"neutron", "password", STR, NULL, "Password for the password plugins.", true, NULL},
    {"neutron", "project_name", STR, NULL, "Project to scope the token to.", false, NULL},
    {"neutron", "project_id", STR, NULL, "Project ID, instead of project_name.", false, NULL},
    {"neutron", "project_domain_name", STR, NULL, "Domain name of the project.", false, NULL},
    {"neutron", "project_domain_id", STR, NULL, "Domain ID of the project.", false, NULL},
    {"neutron", "user_domain_name", STR, NULL, "Domain name of the user.", false, NULL},
    {"neutron", "user_domain_id", STR, NULL, "Domain ID of the user.", false, NULL},
    {"neutron", "application_credential_id", STR, NULL, "Application credential ID.", false, NULL},
    {"neutron", "application_credential_name", STR, NULL,
     "Application credential name, instead of its ID (needs the user too).", false, NULL},
    {"neutron", "application_credential_secret", STR, NULL, "Application credential secret.", true, NULL},
    {"neutron", "token", STR, NULL, "Existing Keystone token for the token plugins.", true, NULL},
    {"neutron", "region_name", STR, NULL, "Region whose Neutron endpoint is taken from the catalog.", false,
     NULL},
    {"neutron", "endpoint_type", STR, "public", "Interface of the Neutron endpoint taken from the catalog.",
     false, "public|internal|admin"},
    {"neutron", "endpoint_override", STR, NULL,
     "Kuryr-C: Neutron URL to use instead of the catalog's; required when auth_type is none.", false, NULL},
    {"neutron", "cafile", STR, NULL, "CA bundle that verifies Keystone's and Neutron's certificates.", false,
     NULL},
    {"neutron", "certfile", STR, NULL, "Client certificate for TLS client authentication.", false, NULL},
    {"neutron", "keyfile", STR, NULL, "Private key for certfile.", false, NULL},
    {"neutron", "insecure", BOOL, "false", "Skip TLS certificate verification (testing only).", false, NULL},
    {"neutron", "timeout", INT, "60", "Seconds to wait for one Keystone or Neutron request.", false, NULL},

    /* [neutron]: kuryr-libnetwork */
    {"neutron", "default_subnetpool_v4", STR, "kuryr",
     "Name of the subnetpool used for IPv4 when Docker asks for a pool without a subnet.", false, NULL},
    {"neutron", "default_subnetpool_v6", STR, "kuryr6",
     "Name of the subnetpool used for IPv6 when Docker asks for a pool without a subnet.", false, NULL},
    {"neutron", "enable_dhcp", BOOL, "true", "Whether the Neutron subnets that Kuryr creates have DHCP on.",
     false, NULL},
    {"neutron", "vif_plugging_is_fatal", BOOL, "false",
     "Fail the endpoint when its port does not become ACTIVE in vif_plugging_timeout.", false, NULL},
    {"neutron", "vif_plugging_timeout", INT, "0",
     "Seconds to wait for a new port to become ACTIVE; 0 waits forever.", false, NULL},

    /* [vif_pool]: kuryr-kubernetes' option names; Kuryr-C uses them for kuryr-libnetwork too */
    {"vif_pool", "enabled", BOOL, "false",
     "Kuryr-C: keep Neutron ports made ahead of need for each subnet in use, and recycle released ones.", false,
     NULL},
    {"vif_pool", "ports_pool_min", INT, "5", "Ports to keep ready per subnet; fewer start a refill.", false, NULL},
    {"vif_pool", "ports_pool_max", INT, "0", "Most ready ports per subnet (0: no limit); released ports beyond "
     "it are deleted.", false, NULL},
    {"vif_pool", "ports_pool_batch", INT, "10", "Ports made in one bulk request when a pool refills.", false,
     NULL},
    {"vif_pool", "ports_pool_update_frequency", INT, "20",
     "Seconds between checks that every pool holds ports_pool_min ports.", false, NULL},

    /* [kubernetes]: kuryr-kubernetes (the controller and, later, the CNI daemon) */
    {"kubernetes", "api_root", STR, "",
     "URL of the kube-apiserver, e.g. https://10.0.0.1:6443. Empty (Kuryr-C) takes the server from kubeconfig "
     "when that is set, else from the pod's service account (KUBERNETES_SERVICE_HOST/PORT). Upstream's default "
     "was https://localhost:6443.", false, NULL},
    {"kubernetes", "token_file", STR, "",
     "File holding the bearer token; re-read when it changes and after a 401. Empty with api_root set means no "
     "token; in a pod without api_root the service account's token is used.", false, NULL},
    {"kubernetes", "ssl_ca_crt_file", STR, "",
     "CA bundle that verifies the kube-apiserver's certificate (empty: the system's, or the service account's "
     "in a pod).", false, NULL},
    {"kubernetes", "ssl_client_crt_file", STR, "", "Client certificate (PEM) for TLS client authentication.",
     false, NULL},
    {"kubernetes", "ssl_client_key_file", STR, "", "Private key (PEM) of ssl_client_crt_file.", false, NULL},
    {"kubernetes", "ssl_verify_server_crt", BOOL, "true",
     "Verify the kube-apiserver's certificate. Kuryr-C verifies by default; upstream's default was false.", false,
     NULL},
    {"kubernetes", "kubeconfig", STR, "",
     "Kuryr-C addition (upstream had no such option): a kubeconfig file to take the server and credentials from. "
     "The [kubernetes] api_root, token_file and ssl_* options, when set, override what it says.", false, NULL},
    {"kubernetes", "enabled_handlers", LIST, "vif,endpoints,service,kuryrloadbalancer,kuryrport",
     "Handlers the controller runs. Names this build does not have yet are logged at start-up and skipped "
     "(see docs/kubernetes.md for the ones it has).", false,
     "vif|kuryrport|namespace|kuryrnetwork|kuryrnetwork_population|policy|kuryrnetworkpolicy|pod_label|service|"
     "endpoints|kuryrloadbalancer|lb|lbaasspec|machine|probe"},
    {"kubernetes", "controller_ha", BOOL, "false",
     "Run several controllers, only one of them active: they elect a leader through a coordination.k8s.io/v1 "
     "Lease and only the leader runs handlers; a standby takes over when the leader stops renewing. Upstream "
     "used a leader-elector sidecar for this; Kuryr-C needs none.", false, NULL},
    {"kubernetes", "controller_ha_elector_port", INT, "16401",
     "Upstream's leader-elector sidecar port; accepted for compatibility and ignored (Kuryr-C elects through "
     "the Lease itself).", false, NULL},
    {"kubernetes", "controller_ha_lease_name", STR, "kuryr-k8s-controller",
     "Kuryr-C addition: name of the Lease the controllers elect their leader with.", false, NULL},
    {"kubernetes", "controller_ha_lease_namespace", STR, "kube-system",
     "Kuryr-C addition: namespace of that Lease.", false, NULL},
    {"kubernetes", "controller_ha_lease_duration", INT, "15",
     "Kuryr-C addition: seconds a standby waits after the Lease was last renewed before it takes over.", false,
     NULL},
    {"kubernetes", "controller_ha_renew_deadline", INT, "10",
     "Kuryr-C addition: seconds the leader keeps acting without a successful renewal; must be below "
     "controller_ha_lease_duration, so the leader has stopped before a standby may start.", false, NULL},
    {"kubernetes", "controller_ha_retry_period", INT, "2",
     "Kuryr-C addition: seconds between the candidates' attempts to acquire or renew the Lease.", false, NULL},
    {"kubernetes", "controller_workers", INT, "4",
     "Kuryr-C addition: objects the controller handles in parallel (one object is never handled by two "
     "workers at once).", false, NULL},
    {"kubernetes", "watch_retry_timeout", INT, "60",
     "Upstream's watcher gave up after failing to reconnect for this long. Accepted and ignored: Kuryr-C's "
     "watches reconnect with backoff for as long as the controller runs.", false, NULL},
    {"kubernetes", "watch_connection_timeout", INT, "30", "Seconds to wait for a connection to the kube-apiserver.",
     false, NULL},
    {"kubernetes", "watch_read_timeout", INT, "60",
     "Seconds a watch may stay silent (no event, no bookmark) before it is taken as broken and restarted.", false,
     NULL},
    {"kubernetes", "use_events", BOOL, "true",
     "Record Kubernetes Events on the objects the Neutron handlers act on: a KuryrPort whose port cannot be made "
     "for a reason retrying cannot fix (no address left, a refused request) gets a Warning.", false, NULL},
    {"kubernetes", "pod_vif_driver", STR, "neutron-vif",
     "How a pod gets its port: neutron-vif, a Neutron port bound to the pod's node. Upstream's nested drivers "
     "(pods inside VMs) are refused at start by this build.", false,
     "neutron-vif|nested-vlan|nested-macvlan|nested-dpdk|sriov"},
    {"kubernetes", "pod_subnets_driver", STR, "default",
     "Which subnet a pod's port is on: default, [neutron_defaults] pod_subnet for every pod. Upstream's "
     "namespace driver (a network per namespace) is refused at start by this build.", false, "default|namespace"},
    {"kubernetes", "pod_security_groups_driver", STR, "default",
     "Which security groups a pod's port gets: default, [neutron_defaults] pod_security_groups. Upstream's policy "
     "driver (NetworkPolicy) is refused at start by this build.", false, "default|policy"},
    {"kubernetes", "watch_namespace", STR, "",
     "Kuryr-C addition: the one namespace whose pods and KuryrPorts the vif and kuryrport handlers watch; empty "
     "(the default, as upstream): all namespaces.", false, NULL},
    {"kubernetes", "cluster_name", STR, "kubernetes",
     "Kuryr-C addition: the name in the ownership marker kuryr.cluster:<cluster_name> that the controller tags its "
     "Neutron objects with. Clusters sharing one Neutron project need different names; at most 46 characters "
     "(Neutron before 2023.2 takes tags of 60).", false, NULL},

    /* [neutron_defaults]: kuryr-kubernetes */
    {"neutron_defaults", "project", STR, "",
     "Keystone project id the pods' ports are made in. Empty (Kuryr-C; upstream required it): the project of "
     "the [neutron] credentials.", false, NULL},
    {"neutron_defaults", "pod_subnet", STR, "",
     "Neutron subnet id the pods' ports get their addresses from (its network is the pods' network). Required by "
     "the kuryrport handler.", false, NULL},
    {"neutron_defaults", "pod_security_groups", LIST, "",
     "Security group ids every pod's port gets. Empty (Kuryr-C; upstream required them): the project's default "
     "group, as Neutron assigns it.", false, NULL},
    {"neutron_defaults", "ovs_bridge", STR, "br-int",
     "OVS bridge a pod's host-side device joins when Neutron binds the port with vif_type ovs and names no "
     "bridge in binding:vif_details.", false, NULL},
    {"neutron_defaults", "network_device_mtu", INT, "0",
     "MTU of the pods' interfaces; 0 takes the Neutron network's.", false, NULL},
    {"neutron_defaults", "resource_tags", LIST, "",
     "Tags put on every Neutron object the controller makes (next to its ownership marker).", false, NULL},

    /* [cni_daemon]: kuryr-kubernetes' CNI daemon (kuryr-daemon) */
    {"cni_daemon", "socket_path", STR, "/run/kuryr/cni.sock",
     "Kuryr-C: the root-only unix socket (mode 0600) on which kuryr-daemon serves kuryr-cni. The CNI network "
     "config's daemon_socket overrides it on the plugin's side.", false, NULL},
    {"cni_daemon", "bind_address", STR, "",
     "host:port on which kuryr-daemon also serves the CNI API over TCP, as upstream did on 127.0.0.1:5036. "
     "Kuryr-C: empty by default, so only the root-only socket_path serves it; over TCP any local user could plug "
     "and unplug pods.", false, NULL},
    {"cni_daemon", "vif_annotation_timeout", INT, "60",
     "Seconds an ADD waits for the pod's KuryrPort to carry its VIF, and again for the VIF to turn active once "
     "plugged. Kuryr-C takes 1 to 100, so that an ADD always ends well inside kubelet's 4-minute sandbox "
     "timeout.", false, NULL},
    {"cni_daemon", "node_name", STR, "",
     "Kuryr-C addition: the Kubernetes node this daemon serves (whose KuryrPorts and pods it watches). Empty = "
     "$KUBERNETES_NODE_NAME (upstream's way), else [DEFAULT] host, else the lowercased host name.", false, NULL},
    {"cni_daemon", "worker_num", INT, "30",
     "Upstream's number of server processes. Accepted and ignored: Kuryr-C serves each request on its own "
     "thread.", false, NULL},

    /* [cni_daemon]: kuryr-daemon's own port into the pod network (Kuryr-C; upstream's devstack made one by hand) */
    {"cni_daemon", "node_port", BOOL, "true",
     "Give the node a Neutron port of its own on [neutron_defaults] pod_subnet (named kubelet-<node>), plugged "
     "like a pod's with its other end in the node's network namespace, so that kubelet's HTTP probes and "
     "hostNetwork pods reach pod IPs. kuryr-daemon makes it (or reuses it) at start.",
     false, NULL},
    {"cni_daemon", "node_port_ifname", STR, "kuryr-node",
     "Name of the node's end of the node port's veth (1 to 15 characters).", false, NULL},
    {"cni_daemon", "node_port_routes", LIST, "",
     "CIDRs routed through the node port besides the pod subnet itself (e.g. the service range).", false,
     NULL},
    {"cni_daemon", "node_port_keep", BOOL, "false",
     "Leave the node port and its devices in place when kuryr-daemon stops (they are reused at the next start) "
     "instead of removing them.",
     false, NULL},

    /* [health_server]: kuryr-kubernetes */
    {"health_server", "port", INT, "8082",
     "Port on 127.0.0.1 where the controller answers /alive, /ready and Prometheus /metrics (upstream served "
     "/metrics on [prometheus_exporter] controller_exporter_port; Kuryr-C serves all three here).", false, NULL},

    /* [cni_health_server]: kuryr-kubernetes' CNI daemon */
    {"cni_health_server", "port", INT, "8090",
     "Port on 127.0.0.1 where kuryr-daemon answers /alive, /ready and Prometheus /metrics (upstream served "
     "/metrics on [prometheus_exporter] cni_exporter_port; Kuryr-C serves all three here).", false, NULL},

    /* [cinder]: Fuxi's Cinder provider (credentials are [neutron]'s: the same Keystone user) */
    {"cinder", "volume_type", STR, NULL, "Volume type of new volumes; empty takes Cinder's default type.", false,
     NULL},
    {"cinder", "availability_zone", STR, NULL, "Availability zone of new volumes; empty takes Cinder's default.",
     false, NULL},
    {"cinder", "fstype", STR, "ext4",
     "File system made on a volume that has none (never on one that has a file system).", false,
     "ext4|ext3|ext2|xfs|btrfs"},
    {"cinder", "multiattach", BOOL, "false", "Create volumes that may be attached to several hosts at once.", false,
     NULL},
    {"cinder", "endpoint_type", STR, "public", "Kuryr-C: interface of the volumev3 endpoint taken from the catalog.",
     false, "public|internal|admin"},
    {"cinder", "endpoint_override", STR, NULL, "Kuryr-C: Cinder URL (with the project, .../v3/<project id>) to use "
     "instead of the catalog's.", false, NULL},

    /* [binding]: kuryr-lib */
    {"binding", "default_driver", STR, "veth",
     "Binding driver. Upstream's module path (kuryr.lib.binding.drivers.veth) is accepted and means the same "
     "as the short name.",
     false, BINDING_DRIVERS},
    {"binding", "enabled_drivers", LIST, "veth",
     "Binding drivers that may be used; module paths are accepted as for default_driver.", false,
     BINDING_DRIVERS},
    {"binding", "link_iface", STR, "",
     "Nested mode: VM interface that macvlan, ipvlan and vlan devices hang off; empty picks the one whose "
     "MAC is the VM port's.",
     false, NULL},
    {"binding", "veth_dst_prefix", STR, "eth", "Name prefix of the container side of the veth pair.", false,
     NULL},
};

const size_t kuryr_options_count = sizeof(kuryr_options) / sizeof(kuryr_options[0]);
