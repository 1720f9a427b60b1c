#!/usr/bin/env bash
# Installs geventpp into a scratch prefix and builds a sample as an installed user would:
# headers from <geventpp/...>, flags from pkg-config. Args: build dir, source dir.
set -euo pipefail
build=$1
src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
pc=$(find "$dest" -name geventpp.pc)
prefix=$(pkg-config --variable=prefix "$pc")
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$dest$prefix" --cflags --libs geventpp)
# shellcheck disable=SC2086
c++ -std=c++20 -O1 "$src/samples/timeout.cpp" -o "$dest/timeout" $flags
out=$(LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libgeventpp.so' | head -1)") "$dest/timeout")
[ "$out" = "Could not complete" ] || { echo "unexpected output: $out"; exit 1; }
echo "installed headers + pkg-config build a working program"

# The monkey library the same way: the seed's /stream with plain sleeps.
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$dest$prefix" --cflags --libs geventpp_monkey)
# shellcheck disable=SC2086
c++ -std=c++20 -O1 "$src/samples/monkey_stream.cpp" -o "$dest/monkey_stream" $flags
libdir=$(dirname "$(find "$dest" -name 'libgeventpp_monkey.so' | head -1)")
LD_LIBRARY_PATH=$libdir ldd "$dest/monkey_stream" | grep -q "libgeventpp_monkey.so.0 => $libdir" \
    || { echo "monkey_stream does not load the installed libgeventpp_monkey"; exit 1; }
echo "installed geventpp_monkey.pc builds a program against libgeventpp_monkey"
