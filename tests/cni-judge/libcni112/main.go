// cni-judge: drives a CNI plugin the way containerd 1.6 does (libcni v1.1.2: AddNetworkList, CheckNetworkList,
// DelNetworkList, ValidateNetworkList, GetVersionInfo, with its result cache), at every spec version that libcni
// speaks, and through libcni's own exec layer (invoke.RawExec) for what it does not: 1.1.0 results, STATUS and
// GC, and the bad inputs whose error codes the spec fixes. Prints one PASS/FAIL line per case and a closing
// "N passed, N failed" line; exits 1 when any case failed.
//
// Test tooling only (issue 20's external judge); nothing in Kuryr-C links it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

var (
	binDir   = flag.String("bin-dir", "", "directory holding the plugin (CNI_PATH)")
	plugin   = flag.String("plugin", "kuryr-cni", "the plugin's type")
	netns    = flag.String("netns", "", "network namespace path of the pod")
	socket   = flag.String("socket", "/run/kuryr/cni.sock", "kuryr-daemon's socket (the config's daemon_socket)")
	cniArgs  = flag.String("args", "", "CNI_ARGS, e.g. IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod")
	cacheDir = flag.String("cache-dir", "", "libcni's result cache directory")
	wantIP   = flag.String("want-ip", "", "the address (CIDR) the pod's port has, checked in every result")
	wantMAC  = flag.String("want-mac", "", "the MAC the pod's port has, checked in every result")
	shipped  = flag.String("conflist", "", "a conflist file (the shipped one) to run once more as containerd would")
	ctrID    = flag.String("container-id", "cnijudge0000000000000000000000000000000000000000000000000000001", "container id")
)

var passed, failed int

func check(name string, err error) {
	if err != nil {
		failed++
		fmt.Printf("FAIL: %s: %v\n", name, err)
		return
	}
	passed++
	fmt.Printf("PASS: %s\n", name)
}

func conflist(version string, extra string) []byte {
	return []byte(fmt.Sprintf(`{"cniVersion":%q,"name":"kuryr-judge","plugins":[{"type":%q,"daemon_socket":%q%s}]}`,
		version, *plugin, *socket, extra))
}

func runtimeConf() *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: *ctrID, NetNS: *netns, IfName: "eth0"}
	for _, kv := range strings.Split(*cniArgs, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			rt.Args = append(rt.Args, [2]string{k, v})
		}
	}
	return rt
}

// checkResult: the result is of the asked version, eth0 is in the sandbox (the netns path) with the port's
// MAC and address, and the address points at that interface.
func checkResult(res types.Result, version string) error {
	if res.Version() != version {
		return fmt.Errorf("result version %s, want %s", res.Version(), version)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return err
	}
	for i, itf := range r.Interfaces {
		if itf.Name != "eth0" {
			continue
		}
		if itf.Sandbox != *netns {
			return fmt.Errorf("eth0 sandbox %q, want the netns path %q", itf.Sandbox, *netns)
		}
		if *wantMAC != "" && !strings.EqualFold(itf.Mac, *wantMAC) {
			return fmt.Errorf("eth0 mac %s, want %s", itf.Mac, *wantMAC)
		}
		for _, ip := range r.IPs {
			if ip.Interface != nil && *ip.Interface == i && (*wantIP == "" || ip.Address.String() == *wantIP) {
				return nil
			}
		}
		return fmt.Errorf("no address %s on eth0 in %v", *wantIP, r.IPs)
	}
	return fmt.Errorf("no eth0 interface in the result")
}

// libcniRound: what containerd 1.6 does at one version, plus CHECK where the version has it and a second DEL.
func libcniRound(ctx context.Context, cni *libcni.CNIConfig, version string) {
	libcniListRound(ctx, cni, version, version, conflist(version, ""))
}

// libcniListRound: one conflist through libcni, its cases named after label.
func libcniListRound(ctx context.Context, cni *libcni.CNIConfig, label, version string, bytes []byte) {
	list, err := libcni.ConfListFromBytes(bytes)
	if err != nil {
		check(label+" conflist", err)
		return
	}
	rt := runtimeConf()
	_, err = cni.ValidateNetworkList(ctx, list)
	check(label+" libcni ValidateNetworkList", err)
	res, err := cni.AddNetworkList(ctx, list, rt)
	if err == nil {
		err = checkResult(res, version)
	}
	check(label+" libcni ADD", err)
	if version != "0.3.0" && version != "0.3.1" {
		check(label+" libcni CHECK", cni.CheckNetworkList(ctx, list, rt))
	}
	check(label+" libcni DEL", cni.DelNetworkList(ctx, list, rt))
	check(label+" libcni DEL again (idempotent)", cni.DelNetworkList(ctx, list, rt))
}

type raw struct {
	command string
	env     map[string]string // overrides; "" removes the variable
	stdin   []byte
}

// execRaw runs the plugin through libcni's exec layer with exactly the environment given.
func execRaw(ctx context.Context, r raw) ([]byte, error) {
	env := map[string]string{"CNI_COMMAND": r.command, "CNI_CONTAINERID": *ctrID, "CNI_NETNS": *netns,
		"CNI_IFNAME": "eth0", "CNI_PATH": *binDir, "CNI_ARGS": *cniArgs}
	for k, v := range r.env {
		env[k] = v
	}
	environ := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		if v != "" {
			environ = append(environ, k+"="+v)
		}
	}
	e := &invoke.RawExec{Stderr: os.Stderr}
	return e.ExecPlugin(ctx, filepath.Join(*binDir, *plugin), r.stdin, environ)
}

func netconf(version, extra string) []byte {
	return []byte(fmt.Sprintf(`{"cniVersion":%q,"name":"kuryr-judge","type":%q,"daemon_socket":%q%s}`,
		version, *plugin, *socket, extra))
}

// wantCode: the plugin failed with the spec's error JSON carrying code.
func wantCode(out []byte, err error, code uint) error {
	if err == nil {
		return fmt.Errorf("succeeded (%s), want error code %d", strings.TrimSpace(string(out)), code)
	}
	var e *types.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("not the spec's error JSON: %v", err)
	}
	if e.Code != code {
		return fmt.Errorf("code %d (%s), want %d", e.Code, e.Msg, code)
	}
	return nil
}

// v110Round: 1.1.0, which libcni 1.1.2 cannot parse, through the exec layer: ADD (result checked by hand),
// CHECK with prevResult, STATUS, GC keeping this attachment, DEL.
func v110Round(ctx context.Context) {
	out, err := execRaw(ctx, raw{command: "ADD", stdin: netconf("1.1.0", "")})
	var res struct {
		CNIVersion string `json:"cniVersion"`
		Interfaces []struct {
			Name, Mac, Sandbox string
		} `json:"interfaces"`
		IPs []struct {
			Address   string `json:"address"`
			Interface *int   `json:"interface"`
		} `json:"ips"`
	}
	if err == nil {
		err = json.Unmarshal(out, &res)
	}
	if err == nil && (res.CNIVersion != "1.1.0" || len(res.Interfaces) == 0 || res.Interfaces[0].Sandbox != *netns ||
		len(res.IPs) == 0 || (*wantIP != "" && res.IPs[0].Address != *wantIP)) {
		err = fmt.Errorf("unexpected 1.1.0 result %s", out)
	}
	check("1.1.0 exec ADD", err)
	prev := ""
	if len(out) > 0 && err == nil {
		prev = `,"prevResult":` + string(out)
	}
	_, err = execRaw(ctx, raw{command: "CHECK", stdin: netconf("1.1.0", prev)})
	check("1.1.0 exec CHECK", err)
	_, err = execRaw(ctx, raw{command: "STATUS", env: map[string]string{"CNI_CONTAINERID": "", "CNI_NETNS": "",
		"CNI_IFNAME": ""}, stdin: netconf("1.1.0", "")})
	check("1.1.0 exec STATUS", err)
	keep := fmt.Sprintf(`,"cni.dev/valid-attachments":[{"containerID":%q,"ifname":"eth0"}]`, *ctrID)
	_, err = execRaw(ctx, raw{command: "GC", env: map[string]string{"CNI_CONTAINERID": "", "CNI_NETNS": "",
		"CNI_IFNAME": ""}, stdin: netconf("1.1.0", keep)})
	check("1.1.0 exec GC (keeps the live attachment)", err)
	_, err = execRaw(ctx, raw{command: "CHECK", stdin: netconf("1.1.0", prev)})
	check("1.1.0 exec CHECK after GC", err)
	_, err = execRaw(ctx, raw{command: "DEL", stdin: netconf("1.1.0", prev)})
	check("1.1.0 exec DEL", err)
	_, err = execRaw(ctx, raw{command: "DEL", env: map[string]string{"CNI_NETNS": ""}, stdin: netconf("1.1.0", "")})
	check("1.1.0 exec DEL without netns or prevResult (idempotent)", err)
}

// badInputs: every input the spec gives a code for, through the exec layer.
func badInputs(ctx context.Context) {
	good := netconf("1.0.0", "")
	cases := []struct {
		name string
		r    raw
		code uint
	}{
		{"no CNI_COMMAND", raw{command: "", stdin: good}, 4},
		{"unknown CNI_COMMAND", raw{command: "FROB", stdin: good}, 4},
		{"ADD without CNI_NETNS", raw{command: "ADD", env: map[string]string{"CNI_NETNS": ""}, stdin: good}, 4},
		{"ADD without CNI_CONTAINERID", raw{command: "ADD", env: map[string]string{"CNI_CONTAINERID": ""}, stdin: good}, 4},
		{"ADD without CNI_IFNAME", raw{command: "ADD", env: map[string]string{"CNI_IFNAME": ""}, stdin: good}, 4},
		{"ADD without CNI_PATH", raw{command: "ADD", env: map[string]string{"CNI_PATH": ""}, stdin: good}, 4},
		{"CHECK without CNI_NETNS", raw{command: "CHECK", env: map[string]string{"CNI_NETNS": ""}, stdin: good}, 4},
		{"DEL without CNI_CONTAINERID", raw{command: "DEL", env: map[string]string{"CNI_CONTAINERID": ""}, stdin: good}, 4},
		{"ADD with an invalid CNI_IFNAME", raw{command: "ADD", env: map[string]string{"CNI_IFNAME": "a/b"}, stdin: good}, 4},
		{"ADD with an invalid CNI_CONTAINERID", raw{command: "ADD", env: map[string]string{"CNI_CONTAINERID": "-x y"}, stdin: good}, 4},
		{"STATUS without CNI_PATH", raw{command: "STATUS", env: map[string]string{"CNI_PATH": ""}, stdin: netconf("1.1.0", "")}, 4},
		{"undecodable config", raw{command: "ADD", stdin: []byte(`{"cniVersion":`)}, 6},
		{"config without a name", raw{command: "ADD", stdin: []byte(`{"cniVersion":"1.0.0","type":"kuryr-cni"}`)}, 7},
		{"config with a relative daemon_socket", raw{command: "ADD", stdin: []byte(fmt.Sprintf(
			`{"cniVersion":"1.0.0","name":"kuryr-judge","type":%q,"daemon_socket":"x.sock"}`, *plugin))}, 7},
		{"config with a key twice", raw{command: "ADD", stdin: netconf("1.0.0", `,"name":"again"`)}, 6},
		{"config version 0.2.0", raw{command: "ADD", stdin: netconf("0.2.0", "")}, 1},
		{"config version 1.2.0", raw{command: "ADD", stdin: netconf("1.2.0", "")}, 1},
		{"CHECK at 0.3.1", raw{command: "CHECK", stdin: netconf("0.3.1", "")}, 1},
		{"STATUS at 1.0.0", raw{command: "STATUS", stdin: netconf("1.0.0", "")}, 1},
		{"GC at 0.4.0", raw{command: "GC", stdin: netconf("0.4.0", "")}, 1},
		{"daemon unreachable", raw{command: "ADD", stdin: []byte(fmt.Sprintf(
			`{"cniVersion":"1.0.0","name":"kuryr-judge","type":%q,"daemon_socket":"/nonexistent/kuryr-cni.sock"}`,
			*plugin))}, 11},
	}
	for _, c := range cases {
		out, err := execRaw(ctx, c.r)
		check(fmt.Sprintf("bad input: %s -> code %d", c.name, c.code), wantCode(out, err, c.code))
	}
}

func versionInfo(ctx context.Context, cni *libcni.CNIConfig) {
	info, err := cni.GetVersionInfo(ctx, *plugin)
	if err == nil {
		got := strings.Join(info.SupportedVersions(), " ")
		if got != "0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" {
			err = fmt.Errorf("supportedVersions %q", got)
		}
	}
	check("libcni VERSION", err)
}

func main() {
	flag.Parse()
	if *binDir == "" || *netns == "" || *cacheDir == "" {
		fmt.Fprintln(os.Stderr, "usage: cni-judge -bin-dir DIR -netns PATH -cache-dir DIR [-socket S] [-args A] [-want-ip CIDR] [-want-mac MAC]")
		os.Exit(2)
	}
	ctx := context.Background()
	cni := libcni.NewCNIConfigWithCacheDir([]string{*binDir}, *cacheDir, nil)
	versionInfo(ctx, cni)
	for _, v := range []string{"0.3.0", "0.3.1", "0.4.0", "1.0.0"} {
		libcniRound(ctx, cni, v)
	}
	if *shipped != "" {
		bytes, err := os.ReadFile(*shipped)
		check("read "+*shipped, err)
		if err == nil {
			libcniListRound(ctx, cni, "shipped conflist (1.0.0)", "1.0.0", bytes) // containerd 1.6 reads the shipped file's cniVersion, 1.0.0
		}
	}
	v110Round(ctx)
	badInputs(ctx)
	fmt.Printf("cni-judge: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
