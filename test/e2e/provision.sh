#!/usr/bin/env bash
# Builds the end-to-end tier's tools (helm, etcd, kube-apiserver, kube-controller-manager,
# cert-manager's controller, trust-manager) from source with this machine's Go toolchain and the Go module proxy, into a
# cache outside the repo keyed by version, with stable symlinks in $LCG_TOOLS_DIR/bin, and
# copies the CRDs of the same cert-manager and trust-manager versions to $LCG_TOOLS_DIR/crds.
# Idempotent: a cached tool is reused.
#
#   bash test/e2e/provision.sh                 # all tools
#   bash test/e2e/provision.sh helm crds       # only the named ones (helm, etcd, kube-apiserver,
#                                              # kube-controller-manager, cert-manager-controller,
#                                              # trust-manager, crds)
#
# Without Go (and nothing cached): fails when CI is set, otherwise says so and exits 0 (the tier skips).
set -euo pipefail

HELM_VERSION=v3.19.5
ETCD_VERSION=v3.6.16
KUBERNETES_VERSION=v1.34.4
CERT_MANAGER_VERSION=v1.21.2
TRUST_MANAGER_VERSION=v0.25.0

TOOLS_DIR="${LCG_TOOLS_DIR:-$HOME/.cache/linkerd-cert-guard/tools}"
BIN_DIR="$TOOLS_DIR/bin"

log() { printf '[provision %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Go is needed only to build what is not cached yet.
require_go() { # tool
  command -v go >/dev/null 2>&1 && return 0
  if [ -n "${CI:-}" ]; then
    log "FAIL: go is not installed; the end-to-end tier needs it to build $1"
    exit 1
  fi
  skipped+=("$1")
  return 1
}
skipped=()

mkdir -p "$BIN_DIR"
# Go's caches live outside the repo too; an explicit GOCACHE/GOMODCACHE from the caller wins.
export GOCACHE="${GOCACHE:-$TOOLS_DIR/go/build-cache}"
export GOMODCACHE="${GOMODCACHE:-$TOOLS_DIR/go/mod-cache}"
export GOFLAGS="-trimpath -buildvcs=false -modcacherw"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
export GOWORK=off
# Two cores are shared with everything else on the machine.
PARALLEL="${LCG_BUILD_PARALLEL:-2}"

# A tool is cached when its versioned binary exists; the bin/ symlink is (re)pointed at it.
cached() { # name version
  [ -x "$TOOLS_DIR/$1-$2/$1" ]
}
link() { # name version
  ln -sfn "../$1-$2/$1" "$BIN_DIR/$1"
  log "$1 $2 ready: $BIN_DIR/$1"
}

# A throwaway module per tool, so the repo never sees a go.mod and builds don't interfere.
new_build_module() { # name -> prints dir
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/lcg-build-$1.XXXXXX")"
  (cd "$dir" && go mod init "lcg.local/build/$1" >/dev/null 2>&1)
  printf '%s\n' "$dir"
}

install_binary() { # built-file name version
  local dest="$TOOLS_DIR/$2-$3" reported
  # A binary that cannot even print its version is not cached.
  case "$2" in
    helm) reported="$("$1" version --short)" ;;
    # trust-manager has no version flag: the module version Go recorded in the binary.
    trust-manager) reported="$(go version -m "$1" | awk '($1 == "mod" || $1 == "dep") && $2 == "github.com/cert-manager/trust-manager" { print $2, $3 }')" ;;
    *) reported="$("$1" --version | head -n 1)" ;;
  esac
  case "$reported" in
    *"${3#v}"*) log "$2 reports: $reported" ;;
    *) log "FAIL: built $2 reports '$reported', expected $3"; exit 1 ;;
  esac
  mkdir -p "$dest"
  mv -f "$1" "$dest/$2.partial"
  mv -f "$dest/$2.partial" "$dest/$2"
  link "$2" "$3"
}

build_helm() {
  if cached helm "$HELM_VERSION"; then link helm "$HELM_VERSION"; return; fi
  require_go helm || return 0
  local start=$SECONDS dir
  dir="$(new_build_module helm)"
  log "building helm $HELM_VERSION in $dir"
  (
    cd "$dir"
    go get "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    go build -p "$PARALLEL" -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
      -o helm helm.sh/helm/v3/cmd/helm
  )
  install_binary "$dir/helm" helm "$HELM_VERSION"
  rm -rf "$dir"
  log "helm built in $((SECONDS - start))s"
}

build_etcd() {
  if cached etcd "$ETCD_VERSION"; then link etcd "$ETCD_VERSION"; return; fi
  require_go etcd || return 0
  local start=$SECONDS dir
  dir="$(new_build_module etcd)"
  log "building etcd $ETCD_VERSION in $dir"
  # etcd's own go.mod replaces its sibling modules with local paths, so `go install pkg@v`
  # refuses it; a two-line main over etcdmain builds the same server from published modules.
  cat >"$dir/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (
    cd "$dir"
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go mod tidy
    go build -p "$PARALLEL" -ldflags "-s -w" -o etcd .
  )
  install_binary "$dir/etcd" etcd "$ETCD_VERSION"
  rm -rf "$dir"
  log "etcd built in $((SECONDS - start))s"
}

# kube-apiserver and kube-controller-manager, from k8s.io/kubernetes/cmd/<name>.
build_kubernetes_component() { # name
  local name=$1
  if cached "$name" "$KUBERNETES_VERSION"; then link "$name" "$KUBERNETES_VERSION"; return; fi
  require_go "$name" || return 0
  local start=$SECONDS dir staging minor
  dir="$(new_build_module "$name")"
  staging="v0.${KUBERNETES_VERSION#v1.}"
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  log "building $name $KUBERNETES_VERSION (staging modules $staging) in $dir"
  (
    cd "$dir"
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
    # ./staging paths; point each at its published twin instead.
    local gomod
    gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes@$KUBERNETES_VERSION go.mod"; exit 1; }
    local replaced=0
    for module in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/src/.*#\1#p' "$gomod"); do
      go mod edit -replace "$module=$module@$staging"
      replaced=$((replaced + 1))
    done
    [ "$replaced" -gt 0 ] || { log "no staging replacements found in $gomod"; exit 1; }
    log "replaced $replaced staging modules with $staging"
    go get "k8s.io/kubernetes/cmd/$name@$KUBERNETES_VERSION"
    local pkg=k8s.io/component-base/version
    go build -p "$PARALLEL" -ldflags "-s -w \
      -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor \
      -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z" \
      -o "$name" "k8s.io/kubernetes/cmd/$name"
  )
  install_binary "$dir/$name" "$name" "$KUBERNETES_VERSION"
  rm -rf "$dir"
  log "$name built in $((SECONDS - start))s"
}

# cert-manager's cmd/controller is a module of its own that is not published, so this is a small
# main of ours over the public controller packages of github.com/cert-manager/cert-manager: the
# issuers and clusterissuers controllers, the certificates-* controllers, the certificaterequest
# approver and the CA and selfSigned request issuers. Kubeconfig, no leader election, no ACME.
build_cert_manager_controller() {
  local name=cert-manager-controller
  if cached "$name" "$CERT_MANAGER_VERSION"; then link "$name" "$CERT_MANAGER_VERSION"; return; fi
  require_go "$name" || return 0
  local start=$SECONDS dir
  dir="$(new_build_module "$name")"
  log "building $name $CERT_MANAGER_VERSION in $dir"
  cat >"$dir/main.go" <<'EOF'
// The cert-manager controller for linkerd-cert-guard's end-to-end tier: the public controller
// packages of cert-manager run against one API server, the way cert-manager's cmd/controller
// runs them (controller.NewContextFactory, then every enabled entry of controller.Known()).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"
	"time"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"golang.org/x/sync/errgroup"

	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// The CA and selfSigned issuer types, which the issuers controllers set up.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

var enabled = []string{
	issuers.ControllerName, clusterissuers.ControllerName,
	trigger.ControllerName, issuing.ControllerName, keymanager.ControllerName,
	requestmanager.ControllerName, readiness.ControllerName, revisionmanager.ControllerName,
	approver.ControllerName, crca.CRControllerName, crselfsigned.CRControllerName,
}

func certManagerVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/cert-manager/cert-manager" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "cert-manager", "namespace of the Secrets ClusterIssuers read")
	workers := flag.Int("workers", 5, "workers per controller")
	version := flag.Bool("version", false, "print the cert-manager version and exit")
	logf.InitLogs()
	flag.Parse()
	if *version {
		fmt.Printf("cert-manager-controller %s (cert-manager controller packages)\n", certManagerVersion())
		return
	}
	if err := run(*kubeconfig, *clusterResourceNamespace, *workers); err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager-controller: %v\n", err)
		os.Exit(1)
	}
}

func run(kubeconfig, clusterResourceNamespace string, workers int) error {
	root, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root = logf.NewContext(root, logf.Log, "controller")
	log := logf.FromContext(root)
	log.Info("starting cert-manager controller", "version", certManagerVersion())

	// The values cert-manager's ControllerConfiguration defaults to.
	factory, err := controller.NewContextFactory(root, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions:      controller.IssuerOptions{ClusterResourceNamespace: clusterResourceNamespace},
		CertificateOptions: controller.CertificateOptions{
			CopiedAnnotationPrefixes:                 []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		return err
	}
	base, err := factory.Build()
	if err != nil {
		return err
	}
	known := controller.Known()
	g, ctx := errgroup.WithContext(root)
	names := append([]string(nil), enabled...)
	sort.Strings(names)
	for _, name := range names {
		construct, ok := known[name]
		if !ok {
			return fmt.Errorf("controller %q is not registered by the imported packages", name)
		}
		iface, err := construct(factory)
		if err != nil {
			return fmt.Errorf("controller %s: %w", name, err)
		}
		log.Info("starting controller", "controller", name)
		g.Go(func() error { return iface.Run(workers, ctx) })
	}
	base.SharedInformerFactory.Start(ctx.Done())
	base.KubeSharedInformerFactory.Start(ctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	err = g.Wait()
	base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
EOF
  (
    cd "$dir"
    go get "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION"
    go mod tidy
    go build -p "$PARALLEL" -ldflags "-s -w" -o "$name" .
  )
  install_binary "$dir/$name" "$name" "$CERT_MANAGER_VERSION"
  rm -rf "$dir"
  log "$name built in $((SECONDS - start))s"
}

build_trust_manager() {
  if cached trust-manager "$TRUST_MANAGER_VERSION"; then link trust-manager "$TRUST_MANAGER_VERSION"; return; fi
  require_go trust-manager || return 0
  local start=$SECONDS dir
  dir="$(new_build_module trust-manager)"
  log "building trust-manager $TRUST_MANAGER_VERSION in $dir"
  (
    cd "$dir"
    go get "github.com/cert-manager/trust-manager/cmd/trust-manager@$TRUST_MANAGER_VERSION"
    go build -p "$PARALLEL" -ldflags "-s -w" -o trust-manager github.com/cert-manager/trust-manager/cmd/trust-manager
  )
  install_binary "$dir/trust-manager" trust-manager "$TRUST_MANAGER_VERSION"
  rm -rf "$dir"
  log "trust-manager built in $((SECONDS - start))s"
}

# The CRDs of the same module versions: cert-manager's and trust-manager's deploy/crds, copied
# from the module cache (nothing to build) into a versioned directory; $TOOLS_DIR/crds points at it.
provision_crds() {
  local dest="$TOOLS_DIR/crds-cert-manager-$CERT_MANAGER_VERSION-trust-manager-$TRUST_MANAGER_VERSION"
  if [ -f "$dest/.complete" ]; then
    ln -sfn "$(basename "$dest")" "$TOOLS_DIR/crds"
    log "crds ready: $TOOLS_DIR/crds"
    return
  fi
  require_go crds || return 0
  local cm tm partial="$dest.partial"
  cm="$(go mod download -json "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  tm="$(go mod download -json "github.com/cert-manager/trust-manager@$TRUST_MANAGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -d "$cm/deploy/crds" ] || { log "FAIL: no deploy/crds in cert-manager $CERT_MANAGER_VERSION ($cm)"; exit 1; }
  [ -d "$tm/deploy/crds" ] || { log "FAIL: no deploy/crds in trust-manager $TRUST_MANAGER_VERSION ($tm)"; exit 1; }
  rm -rf "$partial"
  mkdir -p "$partial"
  cp "$cm"/deploy/crds/cert-manager.io_*.yaml "$tm"/deploy/crds/*.yaml "$partial/"
  chmod -R u+w "$partial"
  printf 'cert-manager %s deploy/crds, trust-manager %s deploy/crds\n' "$CERT_MANAGER_VERSION" "$TRUST_MANAGER_VERSION" >"$partial/.complete"
  rm -rf "$dest"
  mv "$partial" "$dest"
  ln -sfn "$(basename "$dest")" "$TOOLS_DIR/crds"
  log "crds ready: $TOOLS_DIR/crds ($(ls "$dest" | tr '\n' ' '))"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(crds helm etcd kube-apiserver kube-controller-manager cert-manager-controller trust-manager)
total_start=$SECONDS
log "tools dir $TOOLS_DIR; $(go version 2>/dev/null || echo "no go")"
for tool in "${tools[@]}"; do
  case "$tool" in
    helm) build_helm ;;
    etcd) build_etcd ;;
    kube-apiserver|kube-controller-manager) build_kubernetes_component "$tool" ;;
    cert-manager-controller) build_cert_manager_controller ;;
    trust-manager) build_trust_manager ;;
    crds) provision_crds ;;
    *) log "unknown tool '$tool' (expected crds, helm, etcd, kube-apiserver, kube-controller-manager, cert-manager-controller or trust-manager)"; exit 2 ;;
  esac
done
if [ ${#skipped[@]} -gt 0 ]; then
  log "go is not installed: ${skipped[*]} not provisioned; the end-to-end tier will be skipped"
  exit 0
fi
log "done in $((SECONDS - total_start))s: ${tools[*]}"
