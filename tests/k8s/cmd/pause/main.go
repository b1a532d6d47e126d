// pause is the sandbox (infra) container of the test rig: no registry is reachable, so the rig
// builds its own. As PID 1 of the pod it must only hold the namespaces open, reap any orphan
// that gets re-parented to it, and exit cleanly when the runtime stops the sandbox.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		reapAll()
	}
}

// reapAll collects every exited child; one SIGCHLD may stand for several exits.
func reapAll() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
