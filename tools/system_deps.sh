#!/usr/bin/env bash
# Install the system libraries that Qt (offscreen and on a desktop), MediaPipe, headless OpenGL (EGL, with
# OSMesa as a fallback) and Blender as a module need, and the export tests' FBX reader, when any is missing.
# As root this runs apt-get; otherwise it prints the command.
set -euo pipefail

packages=(
  libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 libosmesa6   # OpenGL: EGL/OSMesa for pyrender, GLES for MediaPipe
  libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3            # Qt core, fonts, keyboard
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0    # Qt xcb platform (a real desktop / Xvfb)
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  xvfb xauth                                                       # a virtual screen for screenshots
  libx11-6 libxext6 libxfixes3 libxi6 libxrender1 libsm6 libice6   # Blender as a module (bpy), for FBX export
  assimp-utils                                                     # an independent FBX reader for export tests
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system_deps: not a Debian/Ubuntu system; install the equivalents of: ${packages[*]}" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "system_deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system_deps: missing system packages; run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
