#!/usr/bin/env bash
# Builds k6r's static release binaries (x86_64 musl) and the `k6r` image
# from them (FROM scratch: no registry needed). Prints the image tag.
#
#   deploy/build.sh            # k6r:<version> and k6r:latest
#   K6R_PROFILE=debug deploy/build.sh   # the same from a debug build
#
# CI's end-to-end test uses the debug profile: it compiles faster than a
# release build, and the test checks behaviour, not speed.
#
# Installs what it needs when missing: the Rust musl target (rustup) and
# musl-gcc (Debian's musl-tools, for the C parts of rquickjs and ring).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=x86_64-unknown-linux-musl
bins=(k6r-cli k6r-coordinator k6r-agent k6r-demo-target)
profile=${K6R_PROFILE:-release}
case "$profile" in
release) profile_flag=--release ;;
debug) profile_flag= ;;
*)
    echo "deploy/build.sh: K6R_PROFILE must be release or debug, not '$profile'" >&2
    exit 2
    ;;
esac

if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
fi
if ! command -v musl-gcc >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q musl-tools >/dev/null ||
        { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q musl-tools >/dev/null; }
fi

cd "$root"
cargo build $profile_flag --locked --target "$target" \
    -p k6r-cli -p k6r-coordinator -p k6r-agent -p k6r-demo >&2

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/bin"
for bin in "${bins[@]}"; do
    cp "target/$target/$profile/$bin" "$context/bin/"
    strip "$context/bin/$bin"
done
cp deploy/Dockerfile "$context/"
docker build -q --build-arg "VERSION=$version" -t "k6r:$version" -t k6r:latest "$context" >&2
echo "k6r:$version"
