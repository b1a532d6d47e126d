// The libcni v1.1.2 judge (containerd 1.6's CNI caller) for kuryr-cni: test tooling only.
module kuryr-c.test/cni-judge

go 1.24.0

require github.com/containernetworking/cni v1.1.2
