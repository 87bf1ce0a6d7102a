#!/usr/bin/env bash
# What can be checked of the Dockerfile without a Docker engine: every COPY source exists and is
# not excluded by .dockerignore; the build stage builds with scripts/build-release.sh (the script
# CI runs); and the files the build stage copies are enough for SwiftPM to load the package.
set -euo pipefail

usage() { echo "usage: scripts/check-dockerfile.sh   (no arguments; run from anywhere)"; }
case ${1:-} in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

fail() { echo "check-dockerfile: $*" >&2; exit 1; }
grep -q '^RUN scripts/build-release.sh' Dockerfile || fail "the build stage must RUN scripts/build-release.sh"
grep -q '^ENTRYPOINT \[' Dockerfile || fail "ENTRYPOINT must be in exec form so SIGTERM reaches rcrp-router"
grep -q '^STOPSIGNAL SIGTERM' Dockerfile || fail "STOPSIGNAL SIGTERM is missing"
grep -A2 '^HEALTHCHECK' Dockerfile | grep -q 'rcrp-router", "probe' || fail "HEALTHCHECK must ask /readyz through rcrp-router probe"
grep -q '^USER ' Dockerfile || fail "the image must not run as root (USER)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/rcrp-docker-context.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
stage=0
while read -r instruction rest; do
    case $instruction in
        FROM) stage=$((stage + 1)) ;;
        COPY)
            [[ $rest == --from=* ]] && continue
            read -r -a words <<<"$rest"
            unset 'words[${#words[@]}-1]'    # the destination
            for source in "${words[@]}"; do
                [ -e "$source" ] || fail "COPY $source: no such file in the repository"
                while read -r pattern; do
                    [[ -z $pattern || $pattern == \#* ]] && continue
                    [[ $source == "$pattern" || $source == "$pattern"/* ]] && fail "COPY $source is excluded by .dockerignore ($pattern)"
                done <.dockerignore
                if [ "$stage" = 1 ]; then
                    mkdir -p "$STAGE/$(dirname "$source")"
                    cp -r "$source" "$STAGE/$source"
                fi
            done
            ;;
    esac
done < <(grep -E '^(FROM|COPY) ' Dockerfile)

echo "+ swift package describe (in a copy of the build stage's context)"
(cd "$STAGE" && swift package describe >/dev/null) || fail "the build stage's files do not make a loadable package"
echo "check-dockerfile: COPY sources exist, the build stage uses scripts/build-release.sh and its context loads"
