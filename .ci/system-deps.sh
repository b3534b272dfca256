#!/usr/bin/env bash
# Debian packages the app and its tests need: Qt's runtime libraries, CJK fonts (Noto CJK on screen; WenQuanYi Zen Hei,
# TrueType outlines that reportlab can embed, in PDFs),
# zbar (independent QR decoder for tests), poppler-utils (pdftoppm/pdftotext), Xvfb (a screen for a headless machine),
# strace (the file-dialog test checks which files a dialog opens).
# Idempotent and quick when everything is there already. Uses sudo when not root.
set -euo pipefail

PKGS=(
  fonts-noto-cjk fonts-wqy-zenhei fonts-droid-fallback
  libzbar0 zbar-tools
  poppler-utils
  xvfb xauth
  strace
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0
  libxcb-image0
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu machine; please install the equivalents of: ${missing[*]}" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "system-deps: need root to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
