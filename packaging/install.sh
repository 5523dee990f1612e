#!/bin/sh
# Installs SecureChat: the binaries, the systemd units, the D-Bus
# activation file, the desktop entry, the man pages and the shell
# completions. Build first (cargo build --release), then:
#
#   PREFIX=~/.local packaging/install.sh                # for yourself
#   sudo packaging/install.sh                           # /usr/local, for everyone
#   DESTDIR=/tmp/pkg PREFIX=/usr packaging/install.sh   # staging for a package
#
# Paths (override any of them in the environment):
#   PREFIX               /usr/local
#   DESTDIR              (empty) prepended to every path written, never to
#                        the paths written into the units
#   BINDIR               $PREFIX/bin
#   DATADIR              $PREFIX/share
#   MANDIR               $DATADIR/man
#   SYSTEMD_USER_DIR     $DATADIR/systemd/user (on systemd's user unit path
#                        for ~/.local, /usr/local and /usr alike)
#   SYSTEMD_SYSTEM_DIR   $PREFIX/lib/systemd/system
#   DBUS_SERVICES_DIR    $DATADIR/dbus-1/services
#   APPLICATIONS_DIR     $DATADIR/applications
#   BASH_COMPLETION_DIR  $DATADIR/bash-completion/completions
#   ZSH_COMPLETION_DIR   $DATADIR/zsh/site-functions
#   FISH_COMPLETION_DIR  $DATADIR/fish/vendor_completions.d
#   TARGET_DIR           $CARGO_TARGET_DIR/release, else target/release:
#                        where the built binaries are
#
# Only programs that were built are installed, with their units, pages and
# completions; chatd is required.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BINDIR=${BINDIR:-$PREFIX/bin}
DATADIR=${DATADIR:-$PREFIX/share}
MANDIR=${MANDIR:-$DATADIR/man}
SYSTEMD_USER_DIR=${SYSTEMD_USER_DIR:-$DATADIR/systemd/user}
SYSTEMD_SYSTEM_DIR=${SYSTEMD_SYSTEM_DIR:-$PREFIX/lib/systemd/system}
DBUS_SERVICES_DIR=${DBUS_SERVICES_DIR:-$DATADIR/dbus-1/services}
APPLICATIONS_DIR=${APPLICATIONS_DIR:-$DATADIR/applications}
BASH_COMPLETION_DIR=${BASH_COMPLETION_DIR:-$DATADIR/bash-completion/completions}
ZSH_COMPLETION_DIR=${ZSH_COMPLETION_DIR:-$DATADIR/zsh/site-functions}
FISH_COMPLETION_DIR=${FISH_COMPLETION_DIR:-$DATADIR/fish/vendor_completions.d}
TARGET_DIR=${TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/release}

die() {
    printf 'install.sh: %s\n' "$1" >&2
    exit 1
}

case $BINDIR in
    /*) ;;
    *) die "BINDIR ($BINDIR) must be an absolute path: the units run the programs from it" ;;
esac
[ -x "$TARGET_DIR/chatd" ] ||
    die "no chatd in $TARGET_DIR; build first: cargo build --release (or set TARGET_DIR)"

count=0

# put MODE SOURCE DIR [NAME]: installs SOURCE as DESTDIR/DIR/NAME.
put() {
    mkdir -p "$DESTDIR$3"
    install -m "$1" "$2" "$DESTDIR$3/${4:-$(basename "$2")}"
    count=$((count + 1))
}

# BINDIR as a sed replacement (escape \, & and the # delimiter).
bindir_sed=$(printf '%s' "$BINDIR" | sed 's/[\\&#]/\\&/g')

# put_unit MODE SOURCE DIR: installs with @bindir@, and the directory of an
# Exec= line that runs chatd, pointing at BINDIR.
put_unit() {
    tmp=$(mktemp)
    sed -E -e "s#@bindir@#$bindir_sed#g" \
        -e "s#^Exec=[^ ]*/chatd( |\$)#Exec=$bindir_sed/chatd\\1#" "$2" >"$tmp"
    put "$1" "$tmp" "$3" "$(basename "$2")"
    rm -f "$tmp"
}

installed=""
for bin in chatd chat chat-notify chat-server chat-tui chat-gui; do
    if [ -x "$TARGET_DIR/$bin" ]; then
        put 0755 "$TARGET_DIR/$bin" "$BINDIR"
        installed="$installed $bin"
    else
        printf 'install.sh: %s was not built, skipping it (cargo build --release -p %s)\n' \
            "$bin" "$([ "$bin" = chat ] && echo chat-cli || echo "$bin")" >&2
    fi
done
has() {
    case " $installed " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

put_unit 0644 "$here/systemd/user/chatd.service" "$SYSTEMD_USER_DIR"
put_unit 0644 "$here/systemd/user/chatd.socket" "$SYSTEMD_USER_DIR"
if has chat-notify; then
    put_unit 0644 "$here/systemd/user/chat-notify.service" "$SYSTEMD_USER_DIR"
fi
if has chat-server; then
    put_unit 0644 "$here/systemd/system/chat-server.service" "$SYSTEMD_SYSTEM_DIR"
    put_unit 0644 "$here/systemd/system/chat-server-node.service" "$SYSTEMD_SYSTEM_DIR"
fi
if [ -f "$here/dbus/org.securechat.Chatd1.service" ]; then
    put_unit 0644 "$here/dbus/org.securechat.Chatd1.service" "$DBUS_SERVICES_DIR"
fi
if has chat-gui; then
    put 0644 "$here/chat-gui.desktop" "$APPLICATIONS_DIR"
fi

for page in "$root"/man/*.[0-9]; do
    [ -e "$page" ] || continue
    name=$(basename "$page")
    section=${name##*.}
    program=${name%.*}
    case $program in
        chatd.toml) ;;
        *) has "$program" || continue ;;
    esac
    put 0644 "$page" "$MANDIR/man$section"
done

for program in $installed; do
    c="$root/completions"
    if [ -f "$c/$program.bash" ]; then
        put 0644 "$c/$program.bash" "$BASH_COMPLETION_DIR" "$program"
    fi
    if [ -f "$c/_$program" ]; then
        put 0644 "$c/_$program" "$ZSH_COMPLETION_DIR"
    fi
    if [ -f "$c/$program.fish" ]; then
        put 0644 "$c/$program.fish" "$FISH_COMPLETION_DIR"
    fi
done

printf 'install.sh: installed %d files under %s%s\n' "$count" "$DESTDIR" "$PREFIX"
if [ -z "$DESTDIR" ]; then
    cat <<EOT
Next, as the user who chats:
  systemctl --user daemon-reload
  systemctl --user enable --now chatd.socket chat-notify.service
EOT
fi
