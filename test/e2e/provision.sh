#!/usr/bin/env bash
# Builds the end-to-end tier's tools (helm, etcd, kube-apiserver) from source with this
# machine's Go toolchain and the Go module proxy, into a cache outside the repo keyed by
# version, with stable symlinks in $LCG_TOOLS_DIR/bin. Idempotent: a cached tool is reused.
#
#   bash test/e2e/provision.sh                 # all tools
#   bash test/e2e/provision.sh helm            # only the named tools (helm, etcd, kube-apiserver)
#
# Without Go (and nothing cached): fails when CI is set, otherwise says so and exits 0 (the tier skips).
set -euo pipefail

HELM_VERSION=v3.19.5
ETCD_VERSION=v3.6.16
KUBERNETES_VERSION=v1.34.4

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

build_kube_apiserver() {
  if cached kube-apiserver "$KUBERNETES_VERSION"; then link kube-apiserver "$KUBERNETES_VERSION"; return; fi
  require_go kube-apiserver || return 0
  local start=$SECONDS dir staging minor
  dir="$(new_build_module kube-apiserver)"
  staging="v0.${KUBERNETES_VERSION#v1.}"
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  log "building kube-apiserver $KUBERNETES_VERSION (staging modules $staging) in $dir"
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
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION"
    local pkg=k8s.io/component-base/version
    go build -p "$PARALLEL" -ldflags "-s -w \
      -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor \
      -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z" \
      -o kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
  )
  install_binary "$dir/kube-apiserver" kube-apiserver "$KUBERNETES_VERSION"
  rm -rf "$dir"
  log "kube-apiserver built in $((SECONDS - start))s"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(helm etcd kube-apiserver)
total_start=$SECONDS
log "tools dir $TOOLS_DIR; $(go version 2>/dev/null || echo "no go")"
for tool in "${tools[@]}"; do
  case "$tool" in
    helm) build_helm ;;
    etcd) build_etcd ;;
    kube-apiserver) build_kube_apiserver ;;
    *) log "unknown tool '$tool' (expected helm, etcd or kube-apiserver)"; exit 2 ;;
  esac
done
if [ ${#skipped[@]} -gt 0 ]; then
  log "go is not installed: ${skipped[*]} not provisioned; the end-to-end tier will be skipped"
  exit 0
fi
log "done in $((SECONDS - total_start))s: ${tools[*]}"
