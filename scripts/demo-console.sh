#!/bin/sh
# A console-style demo process, like a game server: it logs a line every few seconds and answers
# commands typed on its stdin (start its container with stdin open: `docker run -i`).
n=0
echo "demo: console ready; type 'help' for commands"
while true; do
  t0=$(date +%s)
  if read -t 3 line; then
    case "$line" in
      help) echo "demo: commands are help, status, say TEXT, warn TEXT, stop" ;;
      status) echo "demo: up, $n ticks" ;;
      say\ *) echo "demo: ${line#say }" ;;
      warn\ *) echo "demo: warning: ${line#warn }" >&2 ;;
      stop) echo "demo: stopping"; exit 0 ;;
      "") ;;
      *) echo "demo: unknown command '$line'" >&2 ;;
    esac
  else
    # busybox's read gives the same status for a timeout and for end of input (stdin not open):
    # tell them apart by the time it took, so a closed stdin does not spin.
    [ $(($(date +%s) - t0)) -lt 2 ] && sleep 3
    n=$((n + 1))
    echo "demo: tick $n at $(date -u +%H:%M:%S)"
  fi
done
