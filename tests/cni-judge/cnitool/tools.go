//go:build tools

// cnitool v1.3.1 (libcni 1.3.1: spec up to 1.1.0, STATUS and GC), built from its module as the external
// judge of kuryr-cni. This file only pins the module: `go build github.com/containernetworking/cni/cnitool`.
package tools

import _ "github.com/containernetworking/cni/cnitool"
