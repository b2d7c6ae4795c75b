#!/usr/bin/env bash
# The test command (npm test): installs the Debian packages the tests drive when they are missing,
# installs npm dependencies if needed, builds, and runs every test with vitest.
# Under CI=true a tool that is still missing fails the run; the tests themselves never skip for it.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A package_of=(
  [wg]=wireguard-tools [wg-quick]=wireguard-tools [wireguard-go]=wireguard-go [haproxy]=haproxy
  [ip]=iproute2 [ping]=iputils-ping [unshare]=util-linux [nsenter]=util-linux [findmnt]=util-linux [sysctl]=procps
  [sshd]=openssh-server [ssh]=openssh-client [ssh-keygen]=openssh-client [nft]=nftables [sudo]=sudo
  [setsid]=util-linux [flock]=util-linux [systemd-analyze]=systemd [cloud-init]=cloud-init
)
missing=()
for tool in "${!package_of[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null || missing+=("${package_of[$tool]}")
done
if ((${#missing[@]})); then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: $packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
  else
    echo "missing Debian packages: $packages (install them as root: apt-get install $packages)" >&2
    [[ ${CI:-} == true ]] && exit 1
  fi
fi
if ! command -v terraform >/dev/null; then
  echo "terraform is not installed (expected at /usr/local/bin/terraform); the terraform tests will fail" >&2
  [[ ${CI:-} == true ]] && exit 1
fi

[[ -d node_modules ]] || npm ci
npm run build
npx vitest run "$@"
