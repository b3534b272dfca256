#!/usr/bin/env bash
# After `make package`: the built app (dist/pos-app/) works on its own, without the source tree, the virtualenv or the
# user's settings: it creates and migrates a new store, opens the main window offscreen (`gui --smoke`: every screen,
# doctor), starts as a user starts it (window shown, store opened and held), does one CLI recharge, prints a PDF with the bundled CJK font,
# and `doctor` passes. Usage: bash .ci/package-check.sh [PATH/TO/pos-app]
set -euo pipefail
cd "$(dirname "$0")/.."

APP=$(realpath "${1:-dist/pos-app/pos-app}")
[ -x "$APP" ] || { echo "package-check: $APP is missing: run make package first" >&2; exit 1; }
BUNDLE=$(dirname "$APP")/_internal
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/home"
DB="$TMP/store.db"
fails=0

# A clean environment: no PYTHONPATH, no venv, no POS_* variables, a home of its own, run from an empty folder.
run() {
  (cd "$TMP" && env -i HOME="$TMP/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@")
}
ok() { echo "package-check: ok: $*"; }
bad() { echo "package-check: FAILED: $*" >&2; fails=$((fails + 1)); }

for f in resources/styles/counter.qss resources/campaigns/demo.toml migrations/env.py \
         PySide6/Qt/plugins/platforms/libqxcb.so PySide6/Qt/plugins/platforms/libqoffscreen.so; do
  [ -e "$BUNDLE/$f" ] && ok "bundle has $f" || bad "bundle lacks $f"
done
ls "$BUNDLE"/resources/fonts/*.tt[cf] >/dev/null 2>&1 && ok "bundle has a CJK font in resources/fonts/" \
  || bad "bundle has no font in resources/fonts/"
for mod in pytest _pytest hypothesis mypy tkinter tests; do
  [ ! -e "$BUNDLE/$mod" ] || bad "bundle carries $mod"
done

if run "$APP" --db "$DB" demo >"$TMP/demo.out" 2>&1 && [ -f "$DB" ]; then
  ok "demo: a new store created and migrated"
else
  bad "demo"; cat "$TMP/demo.out" >&2
fi

if run "$APP" --db "$DB" gui --smoke >"$TMP/smoke.out" 2>"$TMP/smoke.err" && grep -q "^smoke ok" "$TMP/smoke.out"; then
  ok "gui --smoke: $(grep '^smoke ok' "$TMP/smoke.out")"
else
  bad "gui --smoke"; cat "$TMP/smoke.out" "$TMP/smoke.err" >&2
fi

# The app as a user starts it (`pos-app gui`, no --smoke): it shows its window, then opens the store on its
# database worker and holds it, so a command run beside it is refused and names the app's process.
run sh -c 'echo $$ >"$0"; exec "$1" --db "$2" gui' "$TMP/gui.pid" "$APP" "$DB" >"$TMP/gui.out" 2>&1 &
held=""
for _ in $(seq 1 120); do
  sleep 0.5
  [ -s "$TMP/gui.pid" ] && kill -0 "$(cat "$TMP/gui.pid")" 2>/dev/null || break
  if ! run "$APP" --db "$DB" --lang en doctor >"$TMP/beside.out" 2>&1 \
     && grep -q "counter app has this store open.*process $(cat "$TMP/gui.pid")" "$TMP/beside.out"; then
    held=1; break
  fi
done
if [ -n "$held" ]; then
  ok "gui: the app starts, opens the store and holds it"
else
  bad "gui: the app did not start and open the store"; cat "$TMP/gui.out" >&2
  [ ! -f "$TMP/beside.out" ] || cat "$TMP/beside.out" >&2
fi
[ -s "$TMP/gui.pid" ] && kill "$(cat "$TMP/gui.pid")" 2>/dev/null || true
wait || true

if command -v xvfb-run >/dev/null; then  # the desktop's platform plugin too, on a real (virtual) X server
  if (cd "$TMP" && xvfb-run -a sh -c 'exec env -i HOME="$0/home" PATH=/usr/bin:/bin LANG=C.UTF-8 DISPLAY="$DISPLAY" \
        XAUTHORITY="$XAUTHORITY" QT_QPA_PLATFORM=xcb "$1" --db "$2" gui --smoke' "$TMP" "$APP" "$DB") \
        >"$TMP/xcb.out" 2>&1 && grep -q "^smoke ok" "$TMP/xcb.out"; then
    ok "gui --smoke on X11 (xcb)"
  else
    bad "gui --smoke on X11 (xcb)"; cat "$TMP/xcb.out" >&2
  fi
fi

if run "$APP" --db "$DB" --staff admin --pin 8888 recharge --phone 13800138000 --tier basic --json \
     >"$TMP/recharge.json" 2>"$TMP/recharge.err" \
   && python3 - "$TMP/recharge.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
assert r["state"] == "active" and r["phone"] == "13800138000" and r["tier_code"] == "basic", r
assert r["recharge_id"] and r["principal_fen"] > 0 and r["balance_fen"] >= r["principal_fen"], r
print(f"package-check: recharged {r['principal_fen']} fen (+{r['bonus_fen']} bonus), balance {r['balance_fen']} fen")
EOF
then
  ok "CLI recharge"
else
  bad "CLI recharge"; cat "$TMP/recharge.json" "$TMP/recharge.err" >&2
fi

if run "$APP" --db "$DB" --staff admin --pin 8888 invite card --phone 13800138000 --out "$TMP/card.pdf" \
     >"$TMP/card.out" 2>&1 && [ -s "$TMP/card.pdf" ]; then
  if command -v pdffonts >/dev/null; then
    pdffonts "$TMP/card.pdf" | grep -q "WenQuanYi.*yes" && ok "PDF embeds the bundled CJK font" \
      || { bad "PDF does not embed the CJK font"; pdffonts "$TMP/card.pdf" >&2; }
  else
    ok "PDF printed (pdffonts absent: font not checked)"
  fi
else
  bad "invite card PDF"; cat "$TMP/card.out" >&2
fi

if run "$APP" --db "$DB" doctor >"$TMP/doctor.out" 2>&1; then
  ok "doctor passes"
else
  bad "doctor"; cat "$TMP/doctor.out" >&2
fi

if [ "$fails" -ne 0 ]; then
  echo "package-check: $fails check(s) failed" >&2
  exit 1
fi
echo "package-check: the packaged app works ($(du -sh "$(dirname "$APP")" | cut -f1))"
