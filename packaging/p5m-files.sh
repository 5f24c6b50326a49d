#!/bin/sh
#
# The dir and file actions of the kzguard Python package, generated from the
# tree: packaging/kzguard.p5m delivers kzguard/ minus kzguard/sim/, and
# packaging/kzguard-simulator.p5m delivers kzguard/sim/ (packaging/README).
#
#   p5m-files.sh main|simulator
#	Print the actions of that package.
#   p5m-files.sh update
#	Rewrite both manifests between their "# BEGIN generated" and
#	"# END generated" lines.  Run it after adding, moving or removing a
#	module; tests/packaging/test_ips.py fails until it has run.
#
# Modules and templates (*.py, *.j2) and each module's bytecode, as build-ips.sh
# stages them.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
vendor='usr/lib/python$(PYVER)/vendor-packages'

usage() {
	echo "usage: $0 main|simulator|update" >&2
	exit 2
}

# paths dir|file main|simulator: the package's paths under the top directory.
paths() {
	if [ "$2" = main ]; then
		set -- "$1" kzguard -path kzguard/sim -o
	else
		set -- "$1" kzguard/sim
	fi
	kind=$1
	root=$2
	shift 2
	if [ "$kind" = dir ]; then
		(cd "$top" && find "$root" \( "$@" -name __pycache__ \) -prune -o \
		    -type d -print)
	else
		(cd "$top" && find "$root" \( "$@" -name __pycache__ \) -prune -o \
		    -type f \( -name '*.py' -o -name '*.j2' \) -print)
	fi | LC_ALL=C sort
}

# The bytecode build-ips.sh stages beside each module (PEP 3147 names), and its
# __pycache__ directories: modules on stdin, one a line.
bytecode() {
	sed -n 's|^\(.*\)/\([^/]*\)\.py$|\1/__pycache__/\2.cpython-$(PYVER_NODOT).pyc|p'
}
caches() {
	sed -n 's|^\(.*\)/[^/]*\.py$|\1/__pycache__|p' | LC_ALL=C sort -u
}

actions() {
	modules=$(paths file "$1")
	{ paths dir "$1"; echo "$modules" | caches; } | LC_ALL=C sort |
	while IFS= read -r path; do
		echo "dir  path=$vendor/$path owner=root group=bin mode=0755"
	done
	{ echo "$modules"; echo "$modules" | bytecode; } | LC_ALL=C sort |
	while IFS= read -r path; do
		echo "file path=$vendor/$path owner=root group=bin mode=0444"
	done
}

# update_manifest P5M PACKAGE: replace the generated block of P5M.
update_manifest() {
	generated=$(actions "$2")
	new="$1.new.$$"
	awk -v generated="$generated" '
		/^# BEGIN generated/ { print; print generated; skip = 1; found++; next }
		/^# END generated/ { skip = 0 }
		!skip { print }
		END { if (found != 1) exit 1 }
	' "$1" > "$new" || {
		rm -f "$new"
		echo "$0: $1 has no single '# BEGIN generated' line" >&2
		exit 1
	}
	mv "$new" "$1"
}

[ $# -eq 1 ] || usage
case $1 in
main | simulator)
	actions "$1"
	;;
update)
	update_manifest "$here/kzguard.p5m" main
	update_manifest "$here/kzguard-simulator.p5m" simulator
	;;
*)
	usage
	;;
esac
