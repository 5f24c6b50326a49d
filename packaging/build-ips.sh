#!/bin/sh
#
# Build the IPS packages of kzguard: system/kzguard from packaging/kzguard.p5m
# and system/kzguard/simulator from packaging/kzguard-simulator.p5m
# (packaging/README).
#
#   build-ips.sh stage PROTO_DIR
#	Lay out every file the two packages deliver at its delivered path and
#	mode under PROTO_DIR (new or empty), the modules' bytecode included.
#	Needs only sh and a Python PYVER with jinja2 (BUILD_PYTHON, default
#	python3 from PATH), so it also runs on Linux, where tests/packaging
#	checks the p5m files against the result.
#
#   build-ips.sh publish REPO_DIR [WORK_DIR]
#	On a Solaris 11.4 build host: stage into WORK_DIR/proto, then for both
#	packages pkgmogrify and pkgdepend generate, pkgdepend resolve of the two
#	together, pkglint of the two together, and pkgsend publish into the file
#	repository REPO_DIR (created with publisher PUBLISHER if missing).
#	pkgdepend resolve reads the packages installed on this host, so it must
#	have runtime/python-NNN and library/python/jinja2-NNN (docs/solaris.md 6).
#
# Settings, from the environment:
#   PYVER         Python version kzguard runs with on Solaris (default 3.11)
#   BUILD_PYTHON  interpreter that renders the manifest and compiles the
#                 bytecode, Python PYVER (stage: python3; publish:
#                 /usr/bin/pythonPYVER)
#   PUBLISHER     publisher prefix of a new repository (default site)

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
PYVER=${PYVER:-3.11}
# A versioned interpreter: /usr/bin/python3 follows the python3 mediator and may
# name another Python than the one the package depends on (docs/solaris.md 7).
PYTHON=/usr/bin/python$PYVER
PUBLISHER=${PUBLISHER:-site}
vendor=usr/lib/python$PYVER/vendor-packages

usage() {
	echo "usage: $0 stage PROTO_DIR" >&2
	echo "       $0 publish REPO_DIR [WORK_DIR]" >&2
	exit 2
}

# put SOURCE PATH MODE: copy SOURCE to PROTO/PATH with MODE.
put() {
	mkdir -p "$proto/$(dirname "$2")"
	cp "$1" "$proto/$2"
	chmod "$3" "$proto/$2"
}

stage() {
	proto=$1
	build_python=${BUILD_PYTHON:-python3}
	if [ -e "$proto" ] && [ -n "$(ls -A "$proto")" ]; then
		echo "$0: $proto is not empty; stale files would be checked" >&2
		exit 1
	fi
	# It compiles the package's bytecode (below), which only Python PYVER loads.
	pyver=$("$build_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	if [ "$pyver" != "$PYVER" ]; then
		echo "$0: BUILD_PYTHON is Python $pyver, the package's bytecode must be" \
		    "Python $PYVER's: set BUILD_PYTHON=$PYTHON or PYVER=$pyver" >&2
		exit 1
	fi
	umask 022
	mkdir -p "$proto"
	proto=$(cd "$proto" && pwd)

	put "$here/policy.toml" etc/kzguard/policy.toml 0644
	put "$here/auth_attr" etc/security/auth_attr.d/kzguard 0444

	# The manifest for the built-in defaults and no zones; kzguard apply
	# re-renders it on the host.  -m from the top directory: the repository's
	# kzguard, not an installed one.
	mkdir -p "$proto/lib/svc/manifest/site"
	(cd "$top" && "$build_python" -m kzguard -q render manifest --defaults \
	    -o "$proto/lib/svc/manifest/site/kzguard.xml")
	chmod 0444 "$proto/lib/svc/manifest/site/kzguard.xml"

	mkdir -p "$proto/lib/svc/method"
	sed "s|@PYTHON@|$PYTHON|g" "$here/svc-kzguard" \
	    > "$proto/lib/svc/method/svc-kzguard"
	chmod 0555 "$proto/lib/svc/method/svc-kzguard"

	# The kzguard command.  -I: no PYTHON* variables, user site-packages or
	# working directory on sys.path for a command run as root; -B: no bytecode
	# written into vendor-packages behind the package's back.
	mkdir -p "$proto/usr/sbin"
	cat > "$proto/usr/sbin/kzguard" <<EOF
#!$PYTHON -IB
"""kzguard(8): keep kernel zones alive across global-zone reboots."""
import sys

from kzguard.cli import main

sys.exit(main())
EOF
	chmod 0555 "$proto/usr/sbin/kzguard"

	# Every module and template of the Python package, in every folder of it:
	# kzguard/sim for the simulator package, the rest for system/kzguard.
	(cd "$top" && find kzguard -type f \( -name '*.py' -o -name '*.j2' \) \
	    ! -path '*/__pycache__/*' | LC_ALL=C sort) | while IFS= read -r source; do
		put "$top/$source" "$vendor/$source" 0444
	done

	# Bytecode for every module, as Oracle's Python packages deliver it
	# (solaris-userland transforms/autopyc, docs/solaris.md 6): the method
	# script and the command run Python with -B, so without it every stop and
	# start method would compile the whole package again, inside its timeout
	# (70 ms of CPU a method on the bench machine, docs/performance.md).
	# checked-hash (PEP 552): valid whatever modification times pkg(5) gives
	# the files, and a module edited by hand is compiled afresh, not ignored.
	# -s/-p: tracebacks name the installed paths, not the proto area's.
	"$build_python" -m compileall -q --invalidation-mode checked-hash \
	    -s "$proto" -p / "$proto/$vendor/kzguard"
	find "$proto/$vendor/kzguard" -name '*.pyc' -exec chmod 0444 {} +

	put "$here/man/kzguard.8" usr/share/man/man8/kzguard.8 0444
	put "$here/man/kzguard.toml.5" usr/share/man/man5/kzguard.toml.5 0444

	find "$proto" -type d -exec chmod 0755 {} +
}

publish() {
	repo=$1
	work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/kzguard-ips.XXXXXX")}
	BUILD_PYTHON=${BUILD_PYTHON:-$PYTHON}
	version=$(cd "$top" && "$BUILD_PYTHON" -c \
	    'import kzguard; print(kzguard.__version__)')
	pyver_nodot=$(echo "$PYVER" | tr -d .)

	stage "$work/proto"
	for package in kzguard kzguard-simulator; do
		pkgmogrify -D VERSION="$version" -D PYVER="$PYVER" \
		    -D PYVER_NODOT="$pyver_nodot" "$here/$package.p5m" \
		    > "$work/$package.mog"
		pkgdepend generate -md "$work/proto" "$work/$package.mog" \
		    > "$work/$package.dep"
	done
	# Together, so that each sees what the other delivers; writes
	# NAME.dep.res next to each input.
	pkgdepend resolve -m "$work/kzguard.dep" "$work/kzguard-simulator.dep"
	pkglint "$work/kzguard.dep.res" "$work/kzguard-simulator.dep.res"
	if [ ! -f "$repo/pkg5.repository" ]; then
		pkgrepo create "$repo"
		pkgrepo set -s "$repo" publisher/prefix="$PUBLISHER"
	fi
	for package in kzguard kzguard-simulator; do
		pkgsend publish -s "$repo" -d "$work/proto" \
		    "$work/$package.dep.res"
	done
	echo "published system/kzguard@$version and" \
	    "system/kzguard/simulator@$version to $repo (work files in $work)"
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
stage)
	[ $# -eq 1 ] || usage
	stage "$1"
	;;
publish)
	[ $# -ge 1 ] && [ $# -le 2 ] || usage
	publish "$@"
	;;
*)
	usage
	;;
esac
