#!/usr/bin/env bash
# Builds the daemon's container image (scripts/build-image), runs the plugin from it under its own plugin
# name (--net host --cap-add NET_ADMIN, /run/docker/plugins and the stack's kuryr.conf mounted), creates a
# kuryr network and a container on it, checks the container got its Neutron address, and removes
# everything it made, also on failure.
#
#   flock /tmp/kuryr-e2e.lock tests/pkg/test_image.sh
# Needs root, Docker and the local stack (eval "$(scripts/stack env)"). Exit 77 = skipped.
# Environment: KURYR_LIBNETWORK_BIN (default: built from HEAD in a temporary build dir), KURYR_IMAGE_PLUGIN
# (default kuryri).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
plugin=${KURYR_IMAGE_PLUGIN:-kuryri}
subnet=10.213.7.0/24

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ -n "${KURYR_STACK_CONF:-}" ] || skip "the local stack is not up (eval \"\$(scripts/stack env)\")"
docker info >/dev/null 2>&1 || skip "Docker is not running"

id=$$
work=$(mktemp -d /tmp/kuryr-image-test.XXXXXX)
tag=kuryr-libnetwork:test-$id
plugin_ctr=kuryr-plugin-$id
net=kimg-$id
ctr=kimg-c-$id
cleanup() {
    local rc=$?
    docker rm -f "$ctr" >/dev/null 2>&1 || true
    docker network rm "$net" >/dev/null 2>&1 || true
    if docker inspect "$plugin_ctr" >/dev/null 2>&1; then
        [ $rc = 0 ] || docker logs --tail 15 "$plugin_ctr" 2>&1 | sed 's/^/plugin: /'
        docker stop -t 15 "$plugin_ctr" >/dev/null 2>&1 || true
        docker rm -f "$plugin_ctr" >/dev/null 2>&1 || true
    fi
    docker rmi "$tag" >/dev/null 2>&1 || true
    rm -f "/run/docker/plugins/$plugin.sock"
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited $?" >&2' ERR

bin=${KURYR_LIBNETWORK_BIN:-}
if [ -z "$bin" ]; then
    echo "== building kuryr-libnetwork from HEAD"
    git -C "$top" archive HEAD | tar -x -C "$work" --one-top-level=src
    meson setup "$work/build" "$work/src" -Dtests=false >/dev/null
    ninja -C "$work/build" -j2 libnetwork/kuryr-libnetwork >/dev/null
    bin=$work/build/libnetwork/kuryr-libnetwork
fi

echo "== building image $tag"
"$top/scripts/build-image" "$bin" "$tag"
docker run --rm --entrypoint /usr/bin/kuryr-libnetwork "$tag" --version

cat >"$work/override.conf" <<CONF
[DEFAULT]
unix_socket = /run/docker/plugins/$plugin.sock
CONF
chmod 600 "$work/override.conf"

echo "== running the plugin from the image as '$plugin'"
docker run -d --name "$plugin_ctr" --net host --cap-add NET_ADMIN \
    -v /run/docker/plugins:/run/docker/plugins \
    -v "$KURYR_STACK_CONF:/etc/kuryr/kuryr.conf:ro" -v "$work/override.conf:/etc/kuryr/override.conf:ro" \
    "$tag" --config-file /etc/kuryr/kuryr.conf --config-file /etc/kuryr/override.conf >/dev/null
for _ in $(seq 100); do
    [ -S "/run/docker/plugins/$plugin.sock" ] && break
    [ "$(docker inspect -f '{{.State.Running}}' "$plugin_ctr")" = true ] || { echo "FAIL: plugin container exited"; exit 1; }
    sleep 0.2
done
[ -S "/run/docker/plugins/$plugin.sock" ] || { echo "FAIL: no plugin socket"; exit 1; }

echo "== network and container"
docker network create -d "$plugin" --ipam-driver "$plugin" --subnet "$subnet" "$net" >/dev/null
docker run -d --name "$ctr" --net "$net" busybox:latest sleep 300 >/dev/null
ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$ctr")
echo "container address: $ip"
case "$ip" in 10.213.7.*) ;; *) echo "FAIL: address $ip is not from $subnet"; exit 1 ;; esac
# Outputs are captured, not piped into `grep -q`: under pipefail grep's early exit can kill the writer with
# SIGPIPE and fail a check that matched (this failed a CI run once, on the plugin's long log).
addrs=$(docker exec "$ctr" ip -4 addr show eth0)
[[ "$addrs" == *"inet $ip/"* ]] || { echo "FAIL: eth0 lacks $ip"; exit 1; }
logs=$(docker logs "$plugin_ctr" 2>&1)
[[ "$logs" == *"Join"* ]] || { echo "FAIL: the plugin in the image did not serve Join"; exit 1; }

docker rm -f "$ctr" >/dev/null
docker network rm "$net" >/dev/null
echo "PASS: plugin served from image $tag"
