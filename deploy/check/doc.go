// Package check tests the deployment files: docker-compose.yml with
// deploy/compose, the Kubernetes manifests in deploy/kubernetes and the Helm
// chart in deploy/helm/raftinel.
//
// It is a Go module of its own so that Helm, the Kubernetes API types and
// compose-go stay out of raftinel's go.mod; scripts/test.sh runs it.
//
//   - Helm: `helm lint --strict` (the Helm library's lint) and the render of
//     `helm template` for several value sets.
//   - Kubernetes objects (the chart's renders and the manifests): strict
//     decoding into the k8s.io/api types, as the API server decodes them
//     (unknown or duplicate fields and wrong types refused), then the checks
//     that matter: names, labels, selectors, ports, probes, volumes, and the
//     way the raft-secret reaches a node.
//   - Each raftinel pod is simulated: its init container's script runs under
//     busybox sh (as in the Alpine image) with the pod's mounts mapped to
//     temporary directories, and the config it writes is loaded with
//     config.Load exactly as that node loads it.
//   - docker-compose.yml: loaded by compose-go, the library `docker compose
//     config` uses (schema validation, interpolation, references), then
//     checked the same way; with a Docker engine and the images present, the
//     stack is also brought up (TestComposeEngine).
package check
