#!/usr/bin/env bash
# Writes the machine's conditions beside the results: CPU, cores, kernel, compiler and
# the versions of every peer measured, and the load average (called at start and end).
#   conditions.sh DIR start|end
set -uo pipefail
dir=$1 when=$2
out=$dir/conditions.tsv
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "absent"; }
{
  if [[ $when == start ]]; then
    echo -e "utc_start\t$(date -u +%FT%TZ)"
    echo -e "cpu\t$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo -e "cores\t$(nproc)"
    echo -e "kernel\t$(uname -srm)"
    echo -e "compiler\t$(c++ --version | head -n1)"
    for p in libasio-dev libboost1.81-dev libsimdjson-dev libssl-dev libcurl4-openssl-dev nginx-light wrk valgrind \
             nlohmann-json3-dev redis-server libhiredis-dev; do
      echo -e "package:$p\t$(version "$p")"
    done
  fi
  echo -e "loadavg_$when\t$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$out"
