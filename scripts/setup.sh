#!/usr/bin/env bash
# Set-up on a fresh Debian machine with Python 3.11: Mesa's CPU Vulkan driver (lavapipe) for
# ncnn's Vulkan checks, then ncc with its test dependencies (CPU-only torch, pinned).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
if ! dpkg -s libvulkan1 mesa-vulkan-drivers >/dev/null 2>&1; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 mesa-vulkan-drivers >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check "torch==2.13.0"
python3 -m pip install -q --disable-pip-version-check -e ".[dev,zoo]"
