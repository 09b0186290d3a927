#!/bin/sh
# Makes podman usable for the podman tests and prints what they need, one `KEY=value` a line:
#   CONTAINERS_CONF=<containers.conf to run podman with>
#   IMAGE=<a local test image>
# Installs podman, runc and busybox-static with apt-get when missing (root only), writes a
# containers.conf this sandbox needs (no default rlimits, which crun cannot set here; the runc
# runtime; cgroupfs and file events, as systemd is not PID 1), and builds the test image once:
# `podman import` of a root filesystem holding Debian's static busybox and links for the
# applets the tests use; its default command idles until SIGTERM (a workload without a command
# of its own keeps running). No registry is reached. Idempotent: a second run only checks.
# On failure it says why on stderr and exits non-zero; the tests print that reason and skip.
set -eu

image="${HARMONY_PODMAN_TEST_IMAGE:-localhost/harmony-test-busybox:2}"
if [ "$(id -u)" = 0 ]; then
    dir=/var/cache/harmony-dsl/podman
else
    dir="${HOME}/.cache/harmony-dsl/podman"
fi

fail() {
    echo "podman.sh: $*" >&2
    exit 1
}

busybox_bin() {
    for candidate in /bin/busybox /usr/bin/busybox; do
        if [ -x "$candidate" ] && "$candidate" --list 2>/dev/null | grep -qx httpd \
            && is_static; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

is_static() {
    # A dynamically linked busybox would need its libraries inside the image: Debian's
    # busybox-static package replaces the dynamic one at /bin/busybox.
    dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q "install ok installed"
}

umask 077
mkdir -p "$dir"
chmod 0700 "$dir"
# One run at a time (test binaries run in parallel): the second waits, then only checks.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/lock"
    flock 9
fi

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 || ! busybox_bin >/dev/null; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        fail "podman, runc or a static busybox is missing, and installing them needs root and apt-get"
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another installer's lock rather than fail (other test scripts install too).
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || fail "apt-get update failed"
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq podman runc busybox-static >&2 \
        || fail "apt-get install podman runc busybox-static failed"
fi
busybox=$(busybox_bin) || fail "busybox-static is installed but no static busybox with httpd was found"

conf="$dir/containers.conf"
if [ ! -f "$conf" ] || [ -L "$conf" ]; then
    rm -f "$conf"
    tmp=$(mktemp "$dir/containers.conf.XXXXXX")
    cat >"$tmp" <<'CONF'
# Written by harmony-podman's testing/podman.sh for the podman tests.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
    chmod 0644 "$tmp"
    mv -f "$tmp" "$conf"
fi
export CONTAINERS_CONF="$conf"

podman info >/dev/null 2>"$dir/info.err" || fail "podman info failed: $(tail -n 3 "$dir/info.err")"

if ! podman image exists "$image" 2>/dev/null; then
    root=$(mktemp -d "${TMPDIR:-/tmp}/harmony-podman-rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
    cp "$busybox" "$root/bin/busybox"
    for applet in sh httpd sleep cat echo printenv env wget nc kill ls true false ps id grep; do
        ln -s busybox "$root/bin/$applet"
    done
    echo "ok" >"$root/www/index.html"
    echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
    echo "root:x:0:" >"$root/etc/group"
    chmod 1777 "$root/tmp"
    tar -C "$root" -cf - . | podman import --change 'CMD ["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 2147483647 & wait"]' --change 'ENV PATH=/bin' - "$image" >/dev/null \
        2>"$dir/import.err" || fail "podman import failed: $(tail -n 3 "$dir/import.err")"
    podman run --rm --network none "$image" /bin/true 2>"$dir/run.err" \
        || { podman rmi "$image" >/dev/null 2>&1; fail "podman run of the new image failed: $(tail -n 3 "$dir/run.err")"; }
fi

echo "CONTAINERS_CONF=$conf"
echo "IMAGE=$image"
