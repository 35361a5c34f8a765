// Package cgroup finds where this process sits in the cgroup v2 hierarchy.
//
// Both internal/sshtest and the bench command start servers in cgroups
// of their own, made below the cgroup the process already runs in: that
// is the one cgroup an unprivileged or containerised process can expect
// to be allowed to write to. Finding it takes two files of /proc, and this
// package is the one place that reads them.
//
// Only Linux has cgroups; elsewhere the package is empty, and its callers
// are Linux-only code.
package cgroup
